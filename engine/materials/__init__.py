"""Materials uploaded to a case: typed by content (kinds), kept by SHA-256 (files), the
checklist the aid types require (checklist), the Engine's commands and queries (face)."""
