"""Test doubles in one place: the ArcadeDB test server, synthetic provenance, planted
motifs and fixes, the recorded-response LLM transport. Production code never imports these."""
