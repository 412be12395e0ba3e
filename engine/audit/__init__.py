"""The append-only, hash-chained event log an auditor reads and verifies."""

from engine.audit.log import GENESIS, append_event, event_hash, verify_chain

__all__ = ["GENESIS", "append_event", "event_hash", "verify_chain"]
