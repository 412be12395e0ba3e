"""A SELECT read on a bare pooled DBAPI connection, for the look-up every API request makes.

A bearer token's session is read on every request (so that a revoked token is refused on
the next one, whichever process revoked it). Through SQLAlchemy that read cost about six
times the statement itself: a `Connection`, its transaction and SQLite's `BEGIN` (itself a
second statement), the result machinery, the rollback. Profiled for issue 15 (instructions
per call, SQLite): ORM session 850 k, Core connection 640 k, this 110 k.

`PreparedRead` compiles a Core statement once per database engine and runs it with the
DBAPI cursor of a connection checked out of that engine's pool (its checkout checks still
run), converting each column with the result processor SQLAlchemy itself would use. Only
for one-statement reads on a read-only pool: SQLite's reader runs in autocommit mode, so
the SELECT is its own snapshot; PostgreSQL's reader is autocommit and read-only."""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa


class _Compiled:
    """The statement as one dialect runs it, and its column converters (found at first use:
    they may depend on the type codes the driver reports)."""

    def __init__(self, statement: sa.Select, dialect: sa.Dialect, row: type) -> None:
        compiled = statement.compile(dialect=dialect)
        for bind in compiled.binds.values():
            if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
                raise ValueError(f"parameter {bind.key} needs conversion; PreparedRead takes plain values only")
        self.sql = compiled.string
        self.positions = tuple(compiled.positiontup or ()) if compiled.positional else None
        self.types = [column.type for column in statement.selected_columns]
        self.dialect = dialect
        self.row = row
        self.converters: list[Callable[[Any], Any] | None] | None = None

    def params(self, values: dict[str, Any]) -> Any:
        # Every parameter is a plain named `bindparam` (checked above): given as they are.
        return tuple(values[name] for name in self.positions) if self.positions is not None else values

    def convert(self, description: Any, raw: Any) -> Any:
        if self.converters is None:
            self.converters = [kind.dialect_impl(self.dialect).result_processor(self.dialect, column[1])
                               for kind, column in zip(self.types, description, strict=True)]
        return self.row._make(value if convert is None else convert(value)
                              for convert, value in zip(self.converters, raw, strict=True))


class PreparedRead:
    """One Core SELECT (plain parameters, uniquely named columns), run as `first(engine, params)`."""

    def __init__(self, statement: sa.Select) -> None:
        self.statement = statement
        keys = [column.key for column in statement.selected_columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"columns need distinct names: {keys}")
        self.row = namedtuple("PreparedRow", keys)  # type: ignore[misc] - names known at run time
        # One compiled form per kind of database driver (what the SQL text and converters depend on).
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, engine: sa.Engine) -> _Compiled:
        dialect = engine.dialect
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(key, _Compiled(self.statement, dialect, self.row))
        return compiled

    def first(self, engine: sa.Engine, params: dict[str, Any]) -> Any:
        """The first row (attributes named as the statement's columns), or None."""
        compiled = self._for(engine)
        connection = engine.raw_connection()  # from the pool, with its checkout checks
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.sql, compiled.params(params))
                raw = cursor.fetchone()
                description = cursor.description
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error:
            connection.invalidate()  # a broken connection never goes back to the pool
            raise
        finally:
            connection.close()  # back to the pool
        return None if raw is None else compiled.convert(description, raw)
