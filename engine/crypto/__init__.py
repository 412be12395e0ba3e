"""Encryption at rest of personal data (J-SEC): data keys, sealed columns, look-up hashes,
key rotation. How and why: docs/security.md."""
