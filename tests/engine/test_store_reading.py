"""Read-only sessions: task lists and logins answer while a long write holds the lock
(a timer drain on SQLite), and they can never write (X-TIMERS, X-STAFF)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from engine.store.models import Timer


def _held_write(engine, started: threading.Event, release: threading.Event) -> threading.Thread:
    """A writer that takes the write lock and keeps its transaction open until released."""

    def run() -> None:
        with engine.db.session() as s:
            s.execute(sa.update(Timer).where(Timer.id == "none").values(state="x"))  # takes the write lock
            started.set()
            release.wait(20)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    return thread


def test_X_STAFF_reads_do_not_wait_for_a_writer_holding_the_lock(engine):
    started, release = threading.Event(), threading.Event()
    writer = _held_write(engine, started, release)
    answered: list[int] = []
    reader = threading.Thread(target=lambda: answered.append(len(engine.definitions()) + 1), daemon=True)
    reader.start()
    reader.join(5)  # a reader queued behind the writer would still wait here (30 s busy timeout)
    release.set()
    writer.join(10)
    assert answered, "the read waited for the writer"


def test_X_STAFF_a_read_session_refuses_to_write(engine):
    with pytest.raises(DBAPIError), engine.db.reading() as s:
        s.execute(sa.update(Timer).values(state="cancelled"))
        s.flush()


def _backend_pid(bind: sa.Engine) -> int:
    with bind.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def test_X_STAFF_a_pooled_connection_the_server_closed_is_replaced_at_checkout(engine):
    """A restart or an admin's kill closes pooled connections; the next request gets a new
    one (the check at checkout that replaced pool_pre_ping) instead of an error."""
    if engine.db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite has no server to close a connection")
    pools = (engine.db.engine, engine.db.read_engine)
    for bind in pools:
        bind.dispose()  # one pooled connection each from here on: the one killed below
    pids = [_backend_pid(bind) for bind in pools]
    killer = sa.create_engine(engine.db.url, poolclass=sa.pool.NullPool)
    with killer.connect() as conn:
        for pid in pids:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        for _ in range(100):  # termination is asynchronous: wait until both are gone
            alive = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                                 {"pids": pids}).scalar_one()
            if not alive:
                break
            time.sleep(0.05)
    killer.dispose()
    assert engine.definitions() is not None  # a read, on the read pool
    with engine.db.session() as s:  # a write transaction, on the writer's pool
        assert s.execute(sa.text("SELECT 1")).scalar_one() == 1
    assert [_backend_pid(bind) for bind in pools] != pids
