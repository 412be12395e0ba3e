"""The global chain over case heads (X-AUDIT): sealed checkpoints.

Each case's events chain to each other (engine/audit/log.py), which finds an event changed,
inserted, reordered or deleted in the middle, but not a whole case deleted nor its newest
events cut off: what is left is still a valid chain. A seal records every case's head
(instance id, last seq, last hash) in instance-id order at a time, hashed and chained to the
previous seal. Checking a seal against the events now names every case that is gone, that
ends below its sealed seq, or whose event at the sealed seq no longer has the sealed hash.
Events added after a seal are fine: a chain only grows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit.log import _EVENTS, GENESIS
from engine.store.models import AuditSeal

# Sealed (instance id, seq) pairs looked up per query: well below every backend's parameter limit.
_CHUNK = 400


def heads_digest(heads: list[list[Any]]) -> str:
    """SHA-256 over the canonical JSON of the heads ([[id, seq, hash], …] in id order)."""
    return hashlib.sha256(json.dumps(heads, separators=(",", ":")).encode()).hexdigest()


def seal_hash(prev_hash: str, seq: int, sealed_at: dt.datetime, cases: int, digest: str) -> str:
    """The seal's own hash, chained to the previous seal's."""
    body = json.dumps([seq, sealed_at.astimezone(dt.UTC).isoformat(), cases, digest], separators=(",", ":"))
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def current_heads(session: Session) -> list[list[Any]]:
    """Every case's (id, last seq, last hash), ordered by id (events without a case left out)."""
    events = _EVENTS
    newest = (sa.select(events.c.instance_id, sa.func.max(events.c.seq).label("seq"))
              .where(events.c.instance_id.is_not(None)).group_by(events.c.instance_id).subquery())
    rows = session.execute(sa.select(events.c.instance_id, events.c.seq, events.c.hash).join(
        newest, sa.and_(events.c.instance_id == newest.c.instance_id, events.c.seq == newest.c.seq))
        .order_by(events.c.instance_id))
    return [[r.instance_id, r.seq, r.hash] for r in rows]


def seal(session: Session, actor: str, at: dt.datetime) -> AuditSeal:
    """Add the next seal over the current heads (the caller commits; a seal made at the
    same moment elsewhere takes the same seq and this one fails on the unique seq)."""
    last = session.scalars(sa.select(AuditSeal).order_by(AuditSeal.seq.desc()).limit(1)).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    heads = current_heads(session)
    digest = heads_digest(heads)
    row = AuditSeal(seq=seq, sealed_at=at, actor=actor[:80], cases=len(heads), heads=heads, digest=digest,
                    prev_hash=prev, hash=seal_hash(prev, seq, at, len(heads), digest))
    session.add(row)
    session.flush()
    return row


def _sealed_hashes(session: Session, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The stored hash of each (instance id, seq) that still exists."""
    found: dict[tuple[str, int], str] = {}
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start:start + _CHUNK]
        rows = session.execute(sa.select(_EVENTS.c.instance_id, _EVENTS.c.seq, _EVENTS.c.hash).where(
            sa.tuple_(_EVENTS.c.instance_id, _EVENTS.c.seq).in_(chunk)))
        found.update({(r.instance_id, r.seq): r.hash for r in rows})
    return found


def _seals(session: Session) -> Iterator[AuditSeal]:
    """Each seal, oldest first, one at a time (a year of nightly seals over many cases is too
    big to hold at once)."""
    for seal_id in list(session.scalars(sa.select(AuditSeal.id).order_by(AuditSeal.seq))):
        row = session.get(AuditSeal, seal_id)
        yield row
        session.expunge(row)


def check_seals(session: Session) -> list[str]:
    """Every seal checked: its own chain, then each case head it holds against the events now.
    One line per problem, naming the seal and the case (a case once, at the oldest seal it
    contradicts); empty when all holds.

    Every seal, not only the newest: a seal made after a case was cut short or rewritten holds
    the changed head, and only the seals before it still know the true one. (The cost grows
    with seals × cases; one (instance, seq) lookup per sealed head, in chunks.)"""
    problems: list[str] = []
    heads = {h[0]: h[1] for h in current_heads(session)}
    reported: set[str] = set()
    prev = GENESIS
    for expected, row in enumerate(_seals(session), start=1):
        name = _name(row)
        if row.seq != expected:
            problems.append(f"FAILED seal {expected}: missing (found seal {row.seq} next)")
        if row.prev_hash != prev or row.cases != len(row.heads) or row.digest != heads_digest(row.heads) or \
                row.hash != seal_hash(row.prev_hash, row.seq, row.sealed_at, row.cases, row.digest):
            problems.append(f"FAILED {name}: the seal itself was changed (its hash does not match)")
        prev = row.hash
        todo = [(case, seq, digest) for case, seq, digest in row.heads if case not in reported]
        stored = _sealed_hashes(session, [(case, seq) for case, seq, _ in todo])
        for case, seq, digest in todo:
            now = heads.get(case)
            if now is None:
                problem = f"FAILED {case}: the case was deleted after {name} (sealed at event {seq})"
            elif now < seq:
                problem = f"FAILED {case}: events {now + 1}-{seq} were cut off after {name} (ends at event {now})"
            elif stored.get((case, seq)) != digest:
                problem = f"FAILED {case}: event {seq} differs from its hash in {name}"
            else:
                continue
            problems.append(problem)
            reported.add(case)
    return problems


def _name(row: AuditSeal) -> str:
    return f"seal {row.seq} of {row.sealed_at.astimezone(dt.UTC).isoformat()}"
