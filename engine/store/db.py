"""Engines and sessions. SQLite gets WAL and foreign keys; PostgreSQL uses psycopg 3."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from engine.crypto.columns import DIALECT_ATTR
from engine.crypto.keys import Keyring
from engine.store.records import fill_lookup_hashes

# PostgreSQL pools: the writer's as before, and as much again for readers, which have a pool
# of their own (see `make_pg_reader`): a process may hold up to twice 30 connections.
PG_POOL = {"pool_size": 10, "max_overflow": 20}
# Whether `reading()` may go to the read replica in this context. Off unless a caller opts
# in (`replica_reads`): the web layer does for the GET requests of callers who wrote nothing
# in the last moments; the scheduler, the workers and the CLI always read the primary.
_REPLICA_OK: ContextVar[bool] = ContextVar("relief_replica_reads", default=False)


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and make SQLAlchemy use psycopg 3 for it."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    return url


def make_engine(url: str) -> sa.Engine:
    """Create the SQLAlchemy engine for `url` with the settings each backend needs."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, read_only=False)
    engine = sa.create_engine(url, **PG_POOL)
    _drop_hung_up_connections(engine)
    return engine


def make_pg_reader(url: str) -> sa.Engine:
    """The PostgreSQL engine for read-only sessions: autocommit, and every statement is its own
    read-only transaction (`default_transaction_read_only`), so an accidental write still fails
    loudly. A read then costs one round trip instead of three (BEGIN, the query, ROLLBACK);
    nothing is lost, because under READ COMMITTED every statement of a transaction takes a
    fresh snapshot anyway. It also keeps psycopg's prepared statements alive: psycopg forgets
    them all on every ROLLBACK, and each read session used to end in one."""
    parsed = sa.engine.make_url(normalise_url(url))
    options = " ".join(o for o in (parsed.query.get("options"), "-cdefault_transaction_read_only=on") if o)
    engine = sa.create_engine(parsed.update_query_dict({"options": options}), isolation_level="AUTOCOMMIT",
                              **PG_POOL)
    _drop_hung_up_connections(engine)
    return engine


def _drop_hung_up_connections(engine: sa.Engine) -> None:
    """Replace, at checkout, a pooled connection the server has closed (restart, admin kill,
    idle timeout). It does what `pool_pre_ping` did without its round trip (~40 a Jiangyin
    case): a connection idle in the pool has nothing to read, unless the server has sent its
    termination notice or closed the socket. On `DisconnectionError` the pool opens a new one."""

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_conn.closed or dbapi_conn.broken or _readable(dbapi_conn.fileno()):
            raise sa.exc.DisconnectionError("the server closed this pooled connection")


def _readable(fd: int) -> bool:
    """Whether `fd` has data (or end of file) waiting, without blocking."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # Windows: no poll()


def make_sqlite_reader(url: str) -> sa.Engine:
    """A second SQLite engine for read-only work: a deferred BEGIN reads a WAL snapshot
    without taking the write lock, so task lists and logins never queue behind a long
    write (a timer drain); `query_only` makes an accidental write fail loudly."""
    return _sqlite_engine(normalise_url(url), read_only=True)


def _sqlite_engine(url: str, read_only: bool) -> sa.Engine:
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    if read_only:
        pragmas = ["PRAGMA foreign_keys=ON", "PRAGMA query_only=ON"]
    else:
        # Durability under WAL: NORMAL writes each commit to the WAL file before COMMIT
        # returns but does not fsync it, so a committed command survives a crash of the
        # process (the operating system holds the write); only an OS crash or power loss
        # may lose the last commits, and the file stays consistent. FULL would fsync on
        # every commit: measured here 0.37 ms instead of 0.03 ms a commit, i.e. ~40
        # commits per Jiangyin case. Deployments that must survive power loss run on
        # PostgreSQL (fsync on commit) as DESIGN's production layout says.
        pragmas = ["PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"]
    # pysqlite's deferred BEGIN lets two writers read the same version and then fail
    # late; IMMEDIATE serialises writers at the start instead. Readers need no lock.
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.isolation_level = None  # pysqlite must not issue its own BEGIN; "begin" below does
        cur = dbapi_conn.cursor()
        for pragma in pragmas:
            cur.execute(pragma)
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """Owns the engine and the session factory for one database URL, and the data keys its
    sealed columns use (`engine.crypto.columns`): None only for a database whose sealed
    columns are never touched (schema tools); such a use fails loudly."""

    def __init__(self, url: str, keyring: Keyring | None = None, read_url: str | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        in_memory = self.url in ("sqlite://", "sqlite:///:memory:")  # a second engine would see another database
        self._reader: sa.Engine | None = None
        if not self.is_sqlite:
            self._reader = make_pg_reader(self.url)
        elif not in_memory:
            self._reader = make_sqlite_reader(self.url)
        self._read_sessions = sessionmaker(self._reader or self.engine, expire_on_commit=False)
        # A PostgreSQL read replica (RELIEF_DATABASE_READ_URL): the same read-only pool, elsewhere.
        self._replica: sa.Engine | None = None
        if read_url and not self.is_sqlite:
            self._replica = make_pg_reader(normalise_url(read_url))
            self._replica_sessions = sessionmaker(self._replica, expire_on_commit=False)
        sa.event.listen(self.sessions, "before_flush", fill_lookup_hashes)
        self.keyring: Keyring | None = None
        if keyring is not None:
            self.use_keyring(keyring)

    def use_keyring(self, keyring: Keyring) -> None:
        """Seal with `keyring` from now on (its primary key), opening with any of its keys.
        The keyring hangs on each engine's dialect, the one thing a column type sees."""
        self.keyring = keyring
        for engine in {self.engine, self.read_engine, self._replica} - {None}:
            setattr(engine.dialect, DIALECT_ATTR, keyring)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def read_engine(self) -> sa.Engine:
        """The engine behind `reading()`: PostgreSQL's autocommit read-only pool, SQLite's
        query-only reader (the writer itself for an in-memory database)."""
        return self._reader or self.engine

    @property
    def has_replica(self) -> bool:
        """Whether reads may go to a replica (RELIEF_DATABASE_READ_URL is set)."""
        return self._replica is not None

    @contextmanager
    def replica_reads(self) -> Iterator[None]:
        """Let `reading()` use the replica inside this block, until this context writes: after a
        commit, its reads go to the primary again (the caller reads its own writes)."""
        token = _REPLICA_OK.set(self._replica is not None)
        try:
            yield
        finally:
            _REPLICA_OK.reset(token)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise
        if _REPLICA_OK.get():
            _REPLICA_OK.set(False)  # a replica may not have this commit yet

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session: on SQLite it does not wait for writers; on PostgreSQL each of
        its statements is a read-only transaction of its own (autocommit); never commits.
        Inside `replica_reads`, from the replica when one is configured."""
        factory = self._replica_sessions if _REPLICA_OK.get() else self._read_sessions
        with factory() as s:  # closing returns the connection, ending its transaction
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
        for reader in (self._reader, self._replica):
            if reader is not None:
                reader.dispose()
