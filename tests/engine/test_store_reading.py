"""Read-only sessions: task lists and logins answer while a long write holds the lock
(a timer drain on SQLite), and they can never write (X-TIMERS, X-STAFF)."""

from __future__ import annotations

import threading

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
