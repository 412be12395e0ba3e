"""The timer scheduler: on time, after downtime once each in due order, and exactly once
with several scheduler processes on PostgreSQL (X-TIMERS)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.clock import SharedClock
from engine.store.models import Timer
from engine.timers.scheduler import TimerScheduler
from tests.timers.helpers import at, events, start_mini, timers

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _pending(engine) -> int:
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Timer).where(Timer.state == "pending"))


def test_X_TIMERS_timers_due_while_the_service_was_down_fire_once_in_due_order_after_start(engine):
    """Cases accepted Mon, Tue, Wed; the service is down until the next Monday. On start
    each timer fires once, the oldest first, and the audit says how late; a second start
    fires nothing again."""
    ids = []
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        engine.clock.reset_to(at(f"{day} 09:00"))
        ids.append(start_mini(engine, f"DOWN-{day}"))
    engine.clock.reset_to(at("2026-11-09 08:00"))  # back up after the downtime
    scheduler = TimerScheduler(engine, watch_seconds=3600, sweep_seconds=3600)
    scheduler.start()
    try:
        assert _wait_for(lambda: _pending(engine) == 0), "the overdue timers were not fired"
    finally:
        scheduler.stop()
    fired = events(engine, "fire_timer")
    assert [e.instance_id for e in fired] == ids  # in due order: Wed, Thu, Fri deadlines
    expected = [at("2026-11-04 17:30"), at("2026-11-05 17:30"), at("2026-11-06 17:30")]
    assert [dt.datetime.fromisoformat(e.input["due_at"]) for e in fired] == expected
    for event, due in zip(fired, expected, strict=True):
        assert event.input["late_seconds"] >= (at("2026-11-09 08:00") - due).total_seconds()
        assert event.actor == scheduler.actor

    again = TimerScheduler(engine, watch_seconds=0.2, sweep_seconds=0.5)
    again.start()
    time.sleep(1.5)  # several watch and sweep rounds
    again.stop()
    assert len(events(engine, "fire_timer")) == 3


def test_X_TIMERS_the_scheduler_keeps_a_job_at_the_next_due_time(engine):
    """With no polling (watch and sweep hourly) the timer still fires: the date job set at
    start-up for the next due time does it."""
    engine.clock.reset_to(at("2026-11-02 09:00"))
    instance_id = start_mini(engine, "ON-TIME")
    [timer] = timers(engine, instance_id)
    engine.clock.reset_to(timer.due_at - dt.timedelta(seconds=1.5))
    scheduler = TimerScheduler(engine, watch_seconds=3600, sweep_seconds=3600)
    scheduler.start()
    try:
        assert _wait_for(lambda: _pending(engine) == 0, 15)
    finally:
        scheduler.stop()
    [fired] = events(engine, "fire_timer", instance_id)
    assert fired.input["late_seconds"] >= 0


def _scheduler_process(url: str, var_dir: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_MODE": "test", "RELIEF_VAR_DIR": str(var_dir),
           "RELIEF_SECRET_KEY": "test-secret-key-not-for-production"}
    return subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler", "--sweep-seconds", "5"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))


def test_X_TIMERS_three_scheduler_processes_fire_each_timer_exactly_once(engine, tmp_path):
    """Three `relief scheduler` processes on one PostgreSQL database, 240 timers falling due
    in the same second: every timer fires once, whichever process fires it."""
    if engine.db.is_sqlite:
        pytest.skip("runs on PostgreSQL only: SQLite has a single writer, so several schedulers "
                    "cannot race there (set RELIEF_TEST_POSTGRES_URL to run it)")
    engine.clock.reset_to(at("2026-11-02 09:00"))
    for i in range(240):
        start_mini(engine, f"MULTI-{i}")
    due = timers(engine)[0].due_at
    assert {t.due_at for t in timers(engine)} == {due}
    shared = SharedClock()  # the clock the scheduler processes read (test mode)
    shared.bind(engine.db)
    shared.reset_to(due - dt.timedelta(minutes=10))
    logs = [tmp_path / f"scheduler-{i}.log" for i in range(3)]
    procs = [_scheduler_process(engine.db.url, tmp_path, log) for log in logs]
    try:
        assert _wait_for(lambda: all("started" in log.read_text() for log in logs), 60), \
            [log.read_text() for log in logs]
        assert _pending(engine) == 240
        shared.advance(dt.timedelta(minutes=10, seconds=1))
        assert _wait_for(lambda: _pending(engine) == 0, 120)
        time.sleep(2)  # further watch rounds of all three find nothing more to fire
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
    assert codes == [0, 0, 0], [log.read_text()[-2000:] for log in logs]
    fired = events(engine, "fire_timer")
    assert len(fired) == 240
    assert len({e.input["timer"] for e in fired}) == 240
    assert {t.state for t in timers(engine)} == {"fired"}
    # Which processes fired how many depends on who wakes first: a fast machine may let one
    # drain all 240 before the others' next watch. That is speed, not correctness, so it is
    # not asserted (the two-engine timer race is in tests/reliability/test_races.py).
