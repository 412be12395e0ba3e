"""Key rotation: bring every sealed value under the primary key, batch by batch, while the
system runs (`relief keys rotate`), and count what each key still holds (`relief keys status`).

Each batch is one short transaction over up to `batch` rows of one table, read in key order
and locked (FOR UPDATE on PostgreSQL; SQLite has one writer at a time anyway), so a command
that writes one of those rows waits for the batch or the batch waits for it, and neither
overwrites the other. Rotation never changes what a row means: an instance keeps its state
and version (the executor's cached workflow stays valid), an audit event keeps the
commitments its hash covers (engine.crypto.seal), a look-up hash is computed again from the
same number. Values stored in clear (rows written before encryption at rest) are sealed on
the way. Rows written meanwhile by a process that still seals with an older key are found
by the next run; `status` shows what is left, per table and key."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine.crypto import seal
from engine.crypto.keys import Keyring
from engine.crypto.lookup import hash_key_id, lookup_hash
from engine.store.db import Database

CLEAR = "(clear)"  # what `status` calls values not sealed yet


@dataclass(frozen=True)
class Protected:
    """A table with sealed columns: `documents` (whole envelopes), `trees` (JSON with tokens),
    `strings` (one token each), `texts` (free text, a token if it holds a personal number)
    and `lookups` (hash column → the sealed column it hashes)."""

    table: str
    key: str
    documents: tuple[str, ...] = ()
    trees: tuple[str, ...] = ()
    strings: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    lookups: dict[str, str] = field(default_factory=dict)
    # Audit rows: a value found in clear was hashed in clear; its token says so (seal.LEGACY_TAG).
    clear_tag: str = seal.TAG


LOOKUP_TABLES = (
    Protected("registry_members", "id_hash", strings=("id_number",), lookups={"id_hash": "id_number"}),
    Protected("aid_grants", "id", strings=("id_number",), lookups={"id_hash": "id_number"}),
)
TABLES = (
    *LOOKUP_TABLES,
    Protected("instances", "id", documents=("state",)),
    Protected("audit_events", "id", trees=("input", "changes"), clear_tag=seal.LEGACY_TAG),
    Protected("jobs", "id", trees=("variables", "result", "error_details"), texts=("error",)),
    Protected("dispatches", "id", trees=("payload",)),
    Protected("notifications", "id", strings=("to",), texts=("message",)),
    Protected("ledger_entries", "id", texts=("summary",)),
    Protected("timers", "id", texts=("last_error",)),
)


def _table(spec: Protected) -> tuple[sa.TableClause, sa.TableClause]:
    """(for reading, for writing) `spec`'s table with plain column types, so that values are
    seen and written as stored; a document is read untyped (SQLite may hold text from before)."""
    def typed(read: bool) -> sa.TableClause:
        cols = [sa.column(spec.key)]
        cols += [sa.column(c) if read else sa.column(c, sa.LargeBinary) for c in spec.documents]
        cols += [sa.column(c, sa.JSON) for c in spec.trees]
        cols += [sa.column(c, sa.Text) for c in (*spec.strings, *spec.texts)]
        cols += [sa.column(c, sa.String) for c in spec.lookups if c != spec.key]
        return sa.table(spec.table, *cols)
    return typed(True), typed(False)


def _document(keyring: Keyring, raw: Any) -> bytes | None:
    if raw is None:
        return None
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    if seal.document_key_id(data) == keyring.primary.id:
        return None
    return seal.seal_document(keyring.primary, seal.open_document(keyring, data))


def _string(keyring: Keyring, raw: Any, always: bool) -> str | None:
    """The new value of a sealed string (`always`) or free text column; None: unchanged."""
    if raw is None or raw == "":
        return None
    if seal.is_token(raw):
        moved = seal.reseal_value(keyring, raw)
        return None if moved is raw else moved
    return seal.seal_value(keyring.primary, raw) if always or seal.holds_personal_number(raw) else None


def _changes(spec: Protected, keyring: Keyring, row: Any) -> dict[str, Any]:
    """The columns of `row` to write for it to be wholly under the primary key."""
    out: dict[str, Any] = {}
    for name in spec.documents:
        if (new := _document(keyring, row[name])) is not None:
            out[name] = new
    for name in spec.trees:
        value = row[name]
        if value is not None and (moved := seal.reseal_tree(keyring, value, spec.clear_tag)) is not value:
            out[name] = moved
    for name in (*spec.strings, *spec.texts):
        if (new := _string(keyring, row[name], name in spec.strings)) is not None:
            out[name] = new
    for hash_column, source in spec.lookups.items():
        current = row[hash_column]
        if current and ":" in current and hash_key_id(current) == keyring.primary.id:
            continue
        sealed = out.get(source, row[source])
        plain = seal.open_value(keyring, sealed) if seal.is_token(sealed) else sealed
        out[hash_column] = lookup_hash(keyring.primary, "id_number", plain)
    return out


def rotate_table(db: Database, spec: Protected, batch: int = 200, pause: float = 0.0,
                 progress: Callable[[str, int, int], None] | None = None) -> tuple[int, int]:
    """Move every row of `spec`'s table under the primary key: (rows read, rows rewritten)."""
    keyring = db.keyring
    assert keyring is not None, "the database has no data keys"
    read, write = _table(spec)
    key_column = read.c[spec.key]
    last: Any = None
    seen = moved = 0
    while True:
        query = sa.select(*read.c).order_by(key_column).limit(batch)
        if last is not None:
            query = query.where(key_column > last)
        if not db.is_sqlite:
            query = query.with_for_update()
        with db.session() as s:
            rows = s.execute(query).mappings().all()
            for row in rows:
                changes = _changes(spec, keyring, row)
                if changes:
                    s.execute(write.update().where(write.c[spec.key] == row[spec.key]).values(**changes))
                    moved += 1
        if not rows:
            return seen, moved
        seen += len(rows)
        last = rows[-1][spec.key]
        if progress is not None:
            progress(spec.table, seen, moved)
        if pause:
            time.sleep(pause)


def rotate(db: Database, batch: int = 200, pause: float = 0.0,
           progress: Callable[[str, int, int], None] | None = None) -> dict[str, tuple[int, int]]:
    """Rotate every protected table (the look-up tables first): {table: (read, rewritten)}."""
    return {spec.table: rotate_table(db, spec, batch, pause, progress) for spec in TABLES}


def seal_lookup_tables(db: Database) -> None:
    """Seal and hash what a migration left in clear in the tables looked up by ID number
    (small reference tables; a look-up would not find such rows)."""
    for spec in LOOKUP_TABLES:
        rotate_table(db, spec, batch=1000)


def status(db: Database) -> dict[str, Counter[str]]:
    """How many sealed values each key holds, per table and column (CLEAR: not sealed)."""
    out: dict[str, Counter[str]] = {}
    for spec in TABLES:
        read, _ = _table(spec)
        with db.reading() as s:
            rows = s.execute(sa.select(*read.c)).mappings()
            for row in rows:
                for name in spec.documents:
                    if row[name] is not None:
                        raw = row[name]
                        data = raw.encode() if isinstance(raw, str) else bytes(raw)
                        out.setdefault(f"{spec.table}.{name}", Counter())[seal.document_key_id(data) or CLEAR] += 1
                for name in spec.trees:
                    for key_id in seal.key_ids(row[name]):
                        out.setdefault(f"{spec.table}.{name}", Counter())[key_id or CLEAR] += 1
                for name in (*spec.strings, *spec.texts):
                    value = row[name]
                    if value and (seal.is_token(value) or name in spec.strings or seal.holds_personal_number(value)):
                        key_id = seal.token_key_id(value) if seal.is_token(value) else CLEAR
                        out.setdefault(f"{spec.table}.{name}", Counter())[key_id] += 1
                for name in spec.lookups:
                    current = row[name] or ""
                    key_id = hash_key_id(current) if ":" in current else CLEAR
                    out.setdefault(f"{spec.table}.{name}", Counter())[key_id] += 1
    return out

