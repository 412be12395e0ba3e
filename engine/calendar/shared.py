"""Settings every process of one installation shares (engine_settings table).

Reads go through a connection that takes no write lock, so a value can be read in the
middle of another transaction of the same thread (SQLite's writers use BEGIN IMMEDIATE,
which would otherwise wait for that very transaction)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.store.calendar_models import EngineSetting
from engine.store.db import Database

CALENDAR_REVISION = "calendar.revision"
OFFICIAL_LAST_YEAR = "calendar.official_last_year"
CLOCK_OFFSET = "clock.offset_seconds"
# Built once: the calendar's revision is read by every command that counts working days,
# and building the statement anew cost more than running it.
_VALUE = sa.select(EngineSetting.value).where(EngineSetting.key == sa.bindparam("b_key"))


class SharedSettings:
    """Read and write `engine_settings` rows of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # SQLite: a plain pysqlite engine issues no BEGIN for a SELECT (WAL readers never wait).
        # PostgreSQL: the autocommit read-only pool, one round trip and no ROLLBACK a read.
        self._own_reader = db.is_sqlite
        self.reader = sa.create_engine(db.url) if db.is_sqlite else db.read_engine

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value of `key`, read outside any open transaction."""
        try:
            with self.reader.connect() as conn:
                value = conn.execute(_VALUE, {"b_key": key}).scalar()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            return default  # no table yet: before `relief db upgrade`
        return default if value is None else value

    @staticmethod
    def put(session: Session, key: str, value: Any, now: dt.datetime) -> None:
        """Store `value` under `key` in `session`'s transaction."""
        row = session.get(EngineSetting, key)
        if row is None:
            session.add(EngineSetting(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now

    def dispose(self) -> None:
        if self._own_reader:
            self.reader.dispose()
