"""Redaction of secrets and personal data, and injection flags, applied at ingest."""
