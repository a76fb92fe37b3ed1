"""Ingest: transcript files -> adapters -> redaction -> provenance -> the store."""
