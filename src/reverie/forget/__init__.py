"""Erasure: sessions' content erased with tombstones, derived files scrubbed."""
