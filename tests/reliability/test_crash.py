"""The crash suite (issue 9, defect 12 and DESIGN rule 2): a server process SIGKILLed at
random moments while cases of all three variants run, started again, killed again.

Each iteration starts a driver process (tests/reliability/crash_driver.py: the engine,
the timer scheduler, the in-process job runner and two walkers doing random office work)
and kills it with SIGKILL at a random moment — at start-up now and then, mostly while
commands, job handlers and timer firings are under way. After each kill, on the database
as the dead process left it:
  - every case is exactly before or after each command (tests/support/consistency.py:
    audit chain valid, one event per row version, rows agree with the stored state);
  - nothing lost: every command the driver saw return is in the database (its journal);
  - no job or timer orphaned or doubled, no error other than a refusal in the driver.
The next incarnation takes back the jobs the dead one held (defect 12). At the end every
case is driven to its end, and checked once more.

Figures: crash iterations survived, cases checked after crashes, losses (0). Tens of
iterations per database in CI; `RELIEF_RELIABILITY_LONG=1` runs hundreds.
`RELIEF_CRASH_SEED` repeats a run (each failure names its seed)."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.service import Engine
from engine.store.models import AuditEvent, HumanTask, Instance, Job
from tests.reliability import crash_driver
from tests.reliability.conftest import long_mode
from tests.support import consistency

START = "2026-12-07T09:00:00+08:00"  # a Monday
READY_SECONDS = 60


def _iterations() -> int:
    return 200 if long_mode() else 12


@pytest.fixture(scope="module")
def processes() -> Any:
    """Driver processes forked from a server process that imported everything once (quick
    to start, and forked from a process without threads)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.reliability.crash_driver"])
    return context


def _start(processes: Any, url: str, seed: int, journal: Path) -> Any:
    process = processes.Process(target=crash_driver.run, args=(url, seed, str(journal)), daemon=True)
    process.start()
    return process


def _wait_ready(process: Any, journal: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if any(e.get("op") == "ready" and e.get("pid") == process.pid for e in crash_driver.read_journal(journal)):
            return
        if not process.is_alive():
            raise AssertionError(f"the driver died before it was ready (exit code {process.exitcode})")
        time.sleep(0.02)
    raise AssertionError("the driver was not ready in time")


def _kill(process: Any) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.join(30)
    assert process.exitcode == -signal.SIGKILL, process.exitcode


def _losses(engine: Engine, entries: list[dict[str, Any]]) -> list[str]:
    """Journaled commands (they returned) whose effect is not in the database."""
    with engine.db.reading() as s:
        keys = dict(s.execute(sa.select(Instance.id, Instance.business_key)).all())
        statuses = dict(s.execute(sa.select(Instance.id, Instance.status)).all())
        events = s.execute(sa.select(AuditEvent.command, AuditEvent.actor, AuditEvent.input).where(
            AuditEvent.command.in_(("claim_task", "complete_task", "correlate_message")))).all()
        completed = set(s.scalars(sa.select(HumanTask.id).where(HumanTask.state == "completed")))
    acted = {(c, a, (i or {}).get("task")) for c, a, i in events}
    refs = {((i or {}).get("payload") or {}).get("ref") for c, _a, i in events if c == "correlate_message"}
    lost = []
    for e in entries:
        op = e["op"]
        if op == "start" and keys.get(e["instance"]) != e["key"]:
            lost.append(f"started case {e['instance']} ({e['key']})")
        elif op == "retried start" and e["instance"] != e["first"]:
            lost.append(f"a retried start made case {e['instance']} besides {e['first']}")
        elif op == "claim" and ("claim_task", e["by"], e["task"]) not in acted:
            lost.append(f"claim of task {e['task']} by {e['by']}")
        elif op == "complete" and (("complete_task", e["by"], e["task"]) not in acted or e["task"] not in completed):
            lost.append(f"completion of task {e['task']} by {e['by']}")
        elif op == "message" and e["ref"] not in refs:
            lost.append(f"message {e['name']} to case {e['instance']}")
        elif op == "cancel" and statuses.get(e["instance"]) != "cancelled":
            lost.append(f"cancellation of case {e['instance']}")
    return lost


def _held(engine: Engine) -> dict[str, Any]:
    """The jobs the driver's runner holds (locked, pending): job id → lock expiry."""
    with engine.db.reading() as s:
        return dict(s.execute(sa.select(Job.id, Job.lock_expires_at).where(
            Job.state == "pending", Job.lock_owner == crash_driver.WORKER_ID)).all())


def _not_taken_back(engine: Engine, held: dict[str, Any]) -> list[str]:
    """Of the jobs a dead incarnation held, those the next one, now ready, left locked as
    they were (they would wait for their locks to expire: defect 12)."""
    now = _held(engine)
    return [job for job, until in held.items() if now.get(job) == until]


def test_crash_at_random_moments_leaves_every_case_whole(engine, scenario, processes, tmp_path, figures):
    backend = "sqlite" if engine.db.is_sqlite else "postgresql"
    seed = int(os.environ.get("RELIEF_CRASH_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    where = f"(seed {seed}, {backend})"
    parent = crash_driver.make_engine(engine.db.url)
    try:
        import datetime as dt

        parent.clock.reset_to(dt.datetime.fromisoformat(START))
        journal = tmp_path / "journal.jsonl"
        known: dict[str, int] = {}
        held: dict[str, Any] = {}
        ops: Counter[str] = Counter()
        for i in range(_iterations()):
            process = _start(processes, engine.db.url, seed + i, journal)
            if rng.random() < 0.1:  # now and then during start-up (taking back jobs, the first round)
                time.sleep(rng.uniform(0, 0.5))
            else:
                _wait_ready(process, journal)
                left = _not_taken_back(parent, held)
                assert left == [], f"iteration {i} {where}: jobs of the dead incarnation still locked: {left}"
                figures["jobs taken back after crashes"] += len(held)
                time.sleep(rng.uniform(0.05, 1.5))
            _kill(process)
            held = _held(parent)
            entries = crash_driver.read_journal(journal)
            errors = [e for e in entries if e["op"] == "error"]
            assert errors == [], f"iteration {i} {where}: the driver failed: {errors[0]['trace']}"
            report = consistency.check(parent, known)
            assert report.problems == [], f"iteration {i} {where}: {report.problems[:10]}"
            lost = _losses(parent, entries)
            figures["losses"] += len(lost)
            assert lost == [], f"iteration {i} {where}: lost {lost[:10]}"
            known = report.checked
            figures["crash iterations survived"] += 1
            figures[f"crash iterations survived ({backend})"] += 1
            figures["cases checked after crashes"] += report.cases
        entries = crash_driver.read_journal(journal)
        ops.update(e["op"] for e in entries)
        assert ops["start"] and ops["complete"], f"the walk did nothing {where}: {ops}"
        variants = {d.key for d in crash_driver.Walker(parent, rng, None, "-").variants()}
        # The rows, not the journal: a kill between a start's commit and its journal line
        # loses the line, never the case.
        with parent.db.reading() as s:
            started = set(s.scalars(sa.select(Instance.process_key).distinct()))
        assert started >= variants, f"cases of {sorted(started)} only, not of every variant {where}"

        stuck = crash_driver.finish(parent, rng)
        assert stuck == [], f"cases that cannot be driven to their end {where}: {stuck[:5]}"
        report = consistency.check(parent)
        assert report.problems == [], f"after driving every case to its end {where}: {report.problems[:10]}"
        with parent.db.reading() as s:
            statuses = Counter(s.scalars(sa.select(Instance.status).where(  # a periodic review has no end
                Instance.process_key.not_in(crash_driver.PERPETUAL))))
            live = s.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == "pending",
                                                                                Job.detached.is_(False)))
        assert set(statuses) <= {"completed", "cancelled"} and live == 0, f"{statuses}, {live} live jobs {where}"
        figures["cases driven to their end after crashes"] += sum(statuses.values())
    finally:
        parent.dispose()


def test_the_checks_find_what_a_half_written_command_would_leave(engine):
    """The crash suite's checks are not blind: each kind of damage a torn command could
    leave is reported, naming the case."""
    from tests.support import races

    races.deploy(engine)
    inst, _task = races.open_task(engine, "CHECK-1")
    assert consistency.check(engine).problems == []
    damages = [
        ("UPDATE instances SET version = version + 1 WHERE id = :id", "audit events"),
        ("UPDATE human_tasks SET state = 'completed' WHERE instance_id = :id", "open task rows"),
        ("UPDATE timers SET state = 'fired' WHERE instance_id = :id", "waiting timer rows"),
        ("UPDATE audit_events SET actor = 'forger' WHERE instance_id = :id", "audit chain broken"),
        ("UPDATE instances SET status = 'completed' WHERE id = :id", "still runs"),
    ]
    for statement, expected in damages:
        with engine.db.session() as s:
            s.execute(sa.text(statement), {"id": inst})
        problems = consistency.check(engine).problems
        assert any(expected in p and inst in p for p in problems), (statement, problems)
