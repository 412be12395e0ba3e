"""X-AUDIT: the global chain over case heads, sealed, finds what per-case chains cannot.

A whole case deleted after a seal, or its newest events cut off below the sealed seq, leaves
a valid chain behind; checking the seals names the case. Events added after a seal are
fine. The nightly run seals, re-executes every case and keeps its result."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from engine.audit.log import _EVENTS
from engine.service import Engine
from engine.store.models import AuditSeal, Instance
from tests.engine.test_audit_replay import jiangyin_case
from tests.scenarios import test_jiangyin as jy
from tests.support.scenario import Scenario


def _two_cases(scenario: Scenario) -> tuple:
    done = jiangyin_case(scenario, "JY-SEAL-1")
    open_case = jy.accepted(scenario, "JY-SEAL-2")
    return done, open_case


def _instances(engine: Engine) -> int:
    """How many cases there are (the seals also hold the chain of deployments, "definitions")."""
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Instance))


def _delete_case(engine: Engine, instance_id: str) -> None:
    """As someone with database access would: every row of the case, events included."""
    with engine.db.session() as s:
        for table in ("task_candidates", "task_queue", "human_tasks", "jobs", "timers"):
            if table in ("task_candidates", "task_queue"):
                s.execute(sa.text(f"DELETE FROM {table} WHERE task_id IN "  # noqa: S608 - fixed names
                                  "(SELECT id FROM human_tasks WHERE instance_id = :i)"), {"i": instance_id})
            else:
                s.execute(sa.text(f"DELETE FROM {table} WHERE instance_id = :i"), {"i": instance_id})  # noqa: S608
        s.execute(_EVENTS.delete().where(_EVENTS.c.instance_id == instance_id))
        s.execute(sa.text("DELETE FROM instances WHERE id = :i"), {"i": instance_id})


def test_X_AUDIT_seal_records_every_case_head_chained_to_the_previous_seal(scenario: Scenario) -> None:
    engine = scenario.engine
    done, open_case = _two_cases(scenario)
    first = engine.seal_audit("test")
    second = engine.seal_audit("test")
    assert (first.seq, second.seq) == (1, 2) and second.prev_hash == first.hash
    with engine.db.session() as s:
        cases = set(s.scalars(sa.select(_EVENTS.c.instance_id).where(_EVENTS.c.instance_id.is_not(None))))
    assert {done.id, open_case.id} <= cases and first.cases == len(cases) == len(first.heads)
    assert [h[0] for h in first.heads] == sorted(cases)
    assert [h[1] for h in first.heads if h[0] == done.id] == [len(done.history())]
    assert engine.audit_seal_problems() == []


def test_X_AUDIT_whole_case_deleted_after_a_seal_is_named(scenario: Scenario) -> None:
    engine = scenario.engine
    done, open_case = _two_cases(scenario)
    engine.seal_audit("test")
    _delete_case(engine, done.id)
    problems = engine.audit_seal_problems()
    assert len(problems) == 1 and problems[0].startswith(f"FAILED {done.id}: the case was deleted after seal 1")
    assert open_case.id not in problems[0]
    engine.seal_audit("test")  # a newer seal without the case still leaves the older one to name it
    assert engine.audit_seal_problems() == problems


def test_X_AUDIT_newest_events_truncated_below_the_sealed_seq_are_named(scenario: Scenario) -> None:
    engine = scenario.engine
    done, _ = _two_cases(scenario)
    sealed = engine.seal_audit("test").sealed_at.astimezone(dt.UTC).isoformat()
    last = len(done.history())
    with engine.db.session() as s:
        s.execute(_EVENTS.delete().where(_EVENTS.c.instance_id == done.id, _EVENTS.c.seq > last - 2))
    assert engine.replay_case(done.id).chain["valid"]  # what is left is still a valid chain
    problems = engine.audit_seal_problems()
    assert problems == [f"FAILED {done.id}: events {last - 1}-{last} were cut off after seal 1 of "
                        f"{sealed} (ends at event {last - 2})"]
    engine.seal_audit("test")  # a seal made after the cut holds the short head; the older one still knows
    assert engine.audit_seal_problems() == problems


def test_X_AUDIT_events_added_after_a_seal_are_fine(scenario: Scenario) -> None:
    engine = scenario.engine
    _, open_case = _two_cases(scenario)
    engine.seal_audit("test")
    before = len(open_case.history())
    jy.dispatch(open_case)
    assert len(open_case.history()) > before
    assert engine.audit_seal_problems() == []


def test_X_AUDIT_changed_seal_or_rewritten_sealed_head_is_named(scenario: Scenario) -> None:
    engine = scenario.engine
    done, _ = _two_cases(scenario)
    sealed = engine.seal_audit("test").sealed_at.astimezone(dt.UTC).isoformat()
    last = len(done.history())
    with engine.db.session() as s:
        s.execute(_EVENTS.update().where(_EVENTS.c.instance_id == done.id, _EVENTS.c.seq == last)
                  .values(hash="f" * 64))
    assert engine.audit_seal_problems() == [
        f"FAILED {done.id}: event {last} differs from its hash in seal 1 of {sealed}"]
    with engine.db.session() as s:
        s.execute(sa.update(AuditSeal).values(cases=5))
    assert any("seal 1" in p and "the seal itself was changed" in p for p in engine.audit_seal_problems())


def test_X_AUDIT_nightly_run_seals_verifies_every_case_and_keeps_the_result(scenario: Scenario) -> None:
    engine = scenario.engine
    done, open_case = _two_cases(scenario)
    assert engine.latest_audit_run() is None
    seen: list[int] = []
    run = engine.nightly_audit("scheduler", progress=seen.append)
    engine.seal_audit("count")
    cases = _instances(engine)
    assert (run.checked, run.failed, run.failures) == (cases, 0, []) and seen == list(range(1, cases + 1))
    with engine.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditSeal)) == 2
    _delete_case(engine, done.id)
    run = engine.nightly_audit("scheduler")
    assert (run.checked, run.failed) == (cases - 1, 1)
    assert run.failures[0]["instance_id"] == done.id and "deleted after seal 1" in run.failures[0]["line"]
    latest = engine.latest_audit_run()
    assert latest.id == run.id and latest.failed == 1
    assert open_case.id not in str(latest.failures)


def test_X_AUDIT_the_scheduler_seals_and_verifies_nightly(scenario: Scenario) -> None:
    from engine.timers.scheduler import NIGHTLY_AUDIT_HOUR, TimerScheduler

    engine = scenario.engine
    jiangyin_case(scenario, "JY-SEAL-3")
    scheduler = TimerScheduler(engine, watch_seconds=3600, sweep_seconds=3600, name="test-scheduler")
    job = scheduler._scheduler.get_job("nightly-audit")
    assert str(job.trigger.fields[5]) == str(NIGHTLY_AUDIT_HOUR) and str(job.trigger.timezone) == "Asia/Shanghai"
    scheduler._nightly_audit()  # what the cron trigger calls
    run = engine.latest_audit_run()
    assert run.actor == "test-scheduler" and run.failed == 0 and run.checked >= 1


def test_X_AUDIT_a_case_that_cannot_run_again_is_a_failure_not_the_end_of_the_night(scenario: Scenario,
                                                                                    monkeypatch) -> None:
    engine = scenario.engine
    done, open_case = _two_cases(scenario)
    real = engine.replay_case

    def broken(instance_id: str, **kw: object):  # noqa: ANN202 - the engine's own method, broken for one case
        if instance_id == done.id:
            raise RuntimeError("definition file unreadable")
        return real(instance_id, **kw)

    monkeypatch.setattr(engine, "replay_case", broken)
    run = engine.nightly_audit("test")
    assert run.failed == 1 and run.checked == _instances(engine)
    assert run.failures == [{"instance_id": done.id, "line": f"FAILED {done.id}: could not be re-executed "
                                                             "(RuntimeError: definition file unreadable)"}]
