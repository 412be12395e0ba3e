"""What the database holds at rest, read with plain SQL (no data keys): the proof that ID
numbers, phones and bank accounts are never stored in clear (J-SEC).

`personal_values` asks the engine (which opens sealed values) for every personal value it
holds; `found_in_clear` then reads every column of every table of the raw database and
says where any of those values appears as it is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from engine.crypto.seal import is_personal, personal_numbers
from engine.service import Engine
from engine.store.models import AuditEvent, Instance, Job, Timer
from engine.store.records import AidGrant, Dispatch, HouseholdMember, LedgerEntry, Notification


def _collect(obj: Any, out: set[str]) -> None:
    """The personal values (and each string inside them) anywhere in `obj`, and the personal
    numbers in its free text."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, str) and is_personal(key):
                _strings(value, out)
            else:
                _collect(value, out)
    elif isinstance(obj, list):
        for item in obj:
            _collect(item, out)
    elif isinstance(obj, str):
        out.update(personal_numbers(obj))


def _strings(value: Any, out: set[str]) -> None:
    if isinstance(value, dict | list):
        for item in (value.values() if isinstance(value, dict) else value):
            _strings(item, out)
    elif value not in (None, ""):
        out.add(str(value))


def personal_values(engine: Engine) -> set[str]:
    """Every ID number, phone and bank account the engine holds, as it reads them (opened)."""
    out: set[str] = set()
    with engine.db.reading() as s:
        instances = list(s.scalars(sa.select(Instance)))
        for row in s.scalars(sa.select(AuditEvent)):
            _collect(row.input, out)
        for job in s.scalars(sa.select(Job)):
            _collect([job.variables, job.result, job.error_details], out)
        for dispatch in s.scalars(sa.select(Dispatch)):
            _collect(dispatch.payload, out)
        texts = [*s.scalars(sa.select(Notification.message)), *s.scalars(sa.select(Job.error)),
                 *s.scalars(sa.select(LedgerEntry.summary)), *s.scalars(sa.select(Timer.last_error))]
        _collect(texts, out)
        out |= {to for to in s.scalars(sa.select(Notification.to)) if to}
        out |= set(s.scalars(sa.select(HouseholdMember.id_number)))
        out |= set(s.scalars(sa.select(AidGrant.id_number)))
    for row in instances:
        _collect(row.state, out)  # the whole workflow: every task's data
    return out


def raw_rows(url: str) -> Iterator[tuple[str, str]]:
    """(table, the row as text) for every row of every table, read without data keys. Bytes
    are given as latin-1 text and as hex, so that a value stored in clear in a binary column
    is found too."""
    raw = sa.create_engine(url)
    try:
        with raw.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):  # noqa: S608 - reflected names
                    parts = []
                    for cell in row:
                        if isinstance(cell, bytes | memoryview):
                            cell = bytes(cell)
                            parts += [cell.decode("latin-1"), cell.hex()]
                        else:
                            parts.append(str(cell))
                    yield table, "\x1f".join(parts)
    finally:
        raw.dispose()


def found_in_clear(engine: Engine, values: set[str]) -> list[tuple[str, str]]:
    """(table, value) for each personal value found as it is in a raw row."""
    forms = {v: (v, v.encode().hex()) for v in values if len(v) >= 5}
    return sorted({(table, v) for table, text in raw_rows(engine.db.url)
                   for v, (plain, hexed) in forms.items() if plain in text or hexed in text})
