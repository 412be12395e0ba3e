"""Each event carries the hash of the one before it, per instance, so that any
later change, insertion or deletion breaks the chain and `verify_chain` says where.

Personal values in an event's input (ID numbers, phones, bank accounts) are sealed
before the hash is computed, and the hash covers each sealed value's commitment, not its
ciphertext (`engine.crypto.seal.hash_view`): key rotation re-encrypts the values and every
chain still verifies; a changed value no longer matches its commitment. The hash of an
event without personal values is what it always was."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.crypto import seal
from engine.crypto.columns import session_keyring
from engine.store.base import UtcDateTime

GENESIS = "0" * 64
# The table with plain column types: events are sealed here, before hashing, and stored and
# verified exactly as sealed (the model's SealedJSON columns open them for readers).
_EVENTS = sa.table("audit_events", sa.column("id"), sa.column("instance_id"), sa.column("seq"), sa.column("command"),
                   sa.column("actor"), sa.column("at", UtcDateTime()), sa.column("input", sa.JSON),
                   sa.column("changes", sa.JSON), sa.column("prev_hash"), sa.column("hash"))
_INSERT = _EVENTS.insert()  # built once: it runs on every command


def event_hash(prev_hash: str, instance_id: str | None, seq: int, command: str, actor: str,
               at: dt.datetime, input: dict[str, Any], changes: list[dict[str, Any]]) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event."""
    body = json.dumps(
        [instance_id, seq, command, actor, at.astimezone(dt.UTC).isoformat(), input, changes],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def chain_head(session: Session, instance_id: str | None) -> tuple[int, str]:
    """(seq, hash) of the newest event of the instance; (0, GENESIS) before the first."""
    events = _EVENTS
    last = session.execute(
        sa.select(events.c.seq, events.c.hash).where(events.c.instance_id == instance_id)
        .order_by(events.c.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


def chain_heads(session: Session, instance_ids: list[str]) -> dict[str, tuple[int, str]]:
    """`chain_head` of several instances in one query (a batch of timers fired together);
    an instance without events is absent."""
    if not instance_ids:
        return {}
    events = _EVENTS
    newest = (sa.select(events.c.instance_id, sa.func.max(events.c.seq).label("seq"))
              .where(events.c.instance_id.in_(instance_ids)).group_by(events.c.instance_id).subquery())
    rows = session.execute(sa.select(events.c.instance_id, events.c.seq, events.c.hash).join(
        newest, sa.and_(events.c.instance_id == newest.c.instance_id, events.c.seq == newest.c.seq)))
    return {r.instance_id: (r.seq, r.hash) for r in rows}


def append_event(session: Session, instance_id: str | None, command: str, actor: str, at: dt.datetime,
                 input: dict[str, Any], changes: list[dict[str, Any]],
                 head: tuple[int, str] | None = None) -> tuple[int, str]:
    """Append one event; the caller holds the instance's version lock, so `seq` is free.

    `head` is the chain head when the caller knows it (cached with the workflow); returns
    the new head (seq, hash). (Not an AuditEvent: building the ORM object cost a fifth of
    the whole function, on every command.)"""
    last_seq, prev = head if head is not None else chain_head(session, instance_id)
    seq = last_seq + 1
    # Round-trip through JSON so the hash covers exactly what the database stores.
    plain_input = json.loads(json.dumps(input, default=str))
    plain_changes = json.loads(json.dumps(changes, default=str))
    key = session_keyring(session).primary
    input, changes = seal.seal_tree(key, plain_input), seal.seal_tree(key, plain_changes)
    # Nothing sealed (the same object back): nothing to replace by its commitment either.
    values = {"instance_id": instance_id, "seq": seq, "command": command, "actor": actor, "at": at,
              "input": input, "changes": changes, "prev_hash": prev,
              "hash": event_hash(prev, instance_id, seq, command, actor, at,
                                 input if input is plain_input else seal.hash_view(None, input),
                                 changes if changes is plain_changes else seal.hash_view(None, changes))}
    # A Core insert: this runs on every command and needs nothing from the ORM.
    session.execute(_INSERT, values)
    return seq, values["hash"]


def verify_chain(session: Session, instance_id: str) -> dict[str, Any]:
    """Recompute the chain of `instance_id`; report the first broken event, if any. Sealed
    values must also open and match the commitments the hashes cover."""
    keyring = session_keyring(session)
    events = session.execute(sa.select(_EVENTS).where(_EVENTS.c.instance_id == instance_id)
                             .order_by(_EVENTS.c.seq)).all()
    prev = GENESIS
    for expected_seq, e in enumerate(events, start=1):
        if e.seq != expected_seq:
            return {"valid": False, "events": len(events), "broken_at": expected_seq, "reason": "missing event"}
        try:
            seal.open_tree(keyring, e.input), seal.open_tree(keyring, e.changes)
            digest = event_hash(prev, e.instance_id, e.seq, e.command, e.actor, e.at,
                                seal.hash_view(keyring, e.input), seal.hash_view(keyring, e.changes))
        except seal.SealBroken:
            return {"valid": False, "events": len(events), "broken_at": e.seq, "reason": "sealed value broken"}
        if e.prev_hash != prev or e.hash != digest:
            return {"valid": False, "events": len(events), "broken_at": e.seq, "reason": "hash mismatch"}
        prev = e.hash
    return {"valid": True, "events": len(events), "head": prev}
