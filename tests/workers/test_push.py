"""Job push to the in-process runner (X-WORKERS): a job a command creates is locked for an
attached runner in the same transaction and run without a fetch-and-lock; a runner that
goes away loses its jobs to other workers when their locks expire (at least once)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from engine.auth import Principal
from engine.errors import Conflict
from engine.store.models import HumanTask, Instance, Job
from tests.engine.helpers import mini_bundle
from workers.runner import LOCK_SECONDS, InProcessRunner, InProcessWorker, detach, run_pending

CENTRE = Principal("centre-1", ("dispatcher",), ("county-centre",))


@pytest.fixture
def mini(engine):
    engine.deploy(mini_bundle(), "designer")
    return engine


def _approve(engine, key: str) -> str:
    """A mini case whose review is approved: its notice job is created (applicant.notify)."""
    inst = engine.start("mini_case", {"applicant_phone": "13812345678"}, key, "clerk")
    with engine.db.session() as s:
        task_id = s.scalar(sa.select(HumanTask.id).where(HumanTask.instance_id == inst.id, HumanTask.state == "open"))
    engine.complete(task_id, {"approved": "yes"}, CENTRE)
    return inst.id


def _job(engine, instance_id: str) -> Job:
    with engine.db.session() as s:
        [job] = s.scalars(sa.select(Job).where(Job.instance_id == instance_id)).all()
    return job


@contextmanager
def _counting(engine, monkeypatch) -> Iterator[dict]:
    """Commits and statements on the engine's database, and the commands run, meanwhile."""
    seen: dict = {"commits": 0, "statements": 0, "commands": []}

    def commit(*_a) -> None:
        seen["commits"] += 1

    def statement(*_a) -> None:
        seen["statements"] += 1

    run = engine.executor.run
    monkeypatch.setattr(engine.executor, "run", lambda c, a: seen["commands"].append(c.name) or run(c, a))
    bind = engine.db.engine
    sa.event.listen(bind, "commit", commit)
    sa.event.listen(bind, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        sa.event.remove(bind, "commit", commit)
        sa.event.remove(bind, "before_cursor_execute", statement)
        monkeypatch.setattr(engine.executor, "run", run)


def test_X_WORKERS_a_job_is_pushed_locked_to_the_attached_runner_and_runs_without_a_fetch(mini, monkeypatch):
    run_pending(mini)  # attaches the default in-process runner
    queued = mini.jobs_queued
    before = mini.wall_clock.now()
    inst = _approve(mini, "PUSH-1")
    job = _job(mini, inst)
    assert job.lock_owner == "in-process" and job.attempts == 1
    # Locked for LOCK_SECONDS of real time: on the lease clock, not the engine's (demo) clock.
    lease = dt.timedelta(seconds=LOCK_SECONDS)
    assert before + lease <= job.lock_expires_at <= mini.wall_clock.now() + lease
    assert mini.jobs_queued == queued  # nothing for a fetch to find
    assert mini.fetch_and_lock("w2", ["applicant.notify"]) == []  # nobody else takes it meanwhile
    with _counting(mini, monkeypatch) as seen:
        [done] = run_pending(mini)
    assert done["job"] == job.id and "result" in done
    assert "fetch_and_lock" not in seen["commands"]
    assert mini.instance(inst).status == "completed"
    assert _job(mini, inst).attempts == 1


def test_X_WORKERS_a_pushed_job_costs_one_transaction_less_than_a_fetched_one(mini, monkeypatch):
    """Counted with SQLAlchemy events, as bench/throughput.py does: commits and statements of
    run_pending for one notice job, pushed against fetched."""
    fetched = _approve(mini, "PUSH-2")  # no runner attached yet: a fetch finds this job
    with _counting(mini, monkeypatch) as pull:
        [done] = run_pending(mini)
    assert done["job"] == _job(mini, fetched).id and "fetch_and_lock" in pull["commands"]

    pushed = _approve(mini, "PUSH-3")  # the runner is attached now
    with _counting(mini, monkeypatch) as push:
        [done] = run_pending(mini)
    assert done["job"] == _job(mini, pushed).id
    # The notice is kept in the completion's own transaction (no SMS gateway configured).
    assert push["commands"] == ["complete_job"]
    assert push["commits"] == pull["commits"] - 1 == 1
    assert push["statements"] < pull["statements"]
    assert {mini.instance(fetched).status, mini.instance(pushed).status} == {"completed"}


def test_X_WORKERS_a_pushed_job_whose_runner_vanished_is_fetched_after_its_lock_expires(mini):
    gone = InProcessRunner(mini, "runner-that-vanishes")
    gone.attach()
    inst = _approve(mini, "PUSH-4")
    job = _job(mini, inst)
    assert job.lock_owner == "runner-that-vanishes"
    gone.detach(hand_back=False)  # the runner dies with the job in its inbox, unreported

    assert mini.fetch_and_lock("w2", ["applicant.notify"]) == []  # still locked
    mini.wall_clock.advance(dt.timedelta(seconds=LOCK_SECONDS + 1))
    [again] = mini.fetch_and_lock("w2", ["applicant.notify"])
    assert again.id == job.id and again.attempts == 2
    with pytest.raises(Conflict):  # the vanished runner, were it to come back, is refused
        mini.complete_job(job.id, "runner-that-vanishes", {})
    mini.complete_job(job.id, "w2", {"notification_id": 1})
    assert mini.instance(inst).status == "completed"


def test_X_WORKERS_a_runner_that_stops_hands_its_waiting_jobs_back_at_once(mini):
    runner = InProcessRunner(mini, "stopping")
    runner.attach()
    inst = _approve(mini, "PUSH-5")
    assert _job(mini, inst).lock_owner == "stopping"
    runner.detach()  # hands back: the lock ends now, not in five minutes
    time.sleep(0.01)  # the clock moves past the handed-back lock's end
    [job] = mini.fetch_and_lock("w2", ["applicant.notify"])
    assert job.instance_id == inst and job.attempts == 2
    assert _job(mini, _approve(mini, "PUSH-6")).lock_owner is None  # detached: no more pushes


def test_X_WORKERS_jobs_of_topics_a_runner_does_not_serve_or_beyond_its_room_stay_fetchable(mini):
    full = InProcessRunner(mini, "full", capacity=0)
    full.attach()
    inst = _approve(mini, "PUSH-7")
    assert _job(mini, inst).lock_owner is None  # no room: left for a fetch
    full.detach()
    other = InProcessRunner(mini, "ledger-only")
    other.inbox.topics = frozenset({"ledger.record"})
    other.attach()
    queued = mini.jobs_queued
    inst = _approve(mini, "PUSH-8")
    assert _job(mini, inst).lock_owner is None and mini.jobs_queued == queued + 1
    other.detach()
    assert [d["topic"] for d in run_pending(mini)] == ["applicant.notify", "applicant.notify"]


def test_X_WORKERS_a_pushed_job_is_gone_with_a_failed_command(mini):
    """A command that fails after its projections inserted (and locked) a job hands nothing over."""
    runner = InProcessRunner(mini, "rollback")
    runner.attach()

    class FailsAfterProjections:
        name = "fails"

        def __init__(self, instance_id: str, task_id: str) -> None:
            self.instance_id, self.task_id = instance_id, task_id

        def execute(self, ctx):
            from engine.runtime.commands import CompleteTask

            CompleteTask(self.task_id, CENTRE, {"approved": "yes"}).execute(ctx)
            raise RuntimeError("after the insert")

    inst = mini.start("mini_case", {"applicant_phone": "13812345678"}, "PUSH-9", "clerk")
    with mini.db.session() as s:
        task_id = s.scalar(sa.select(HumanTask.id).where(HumanTask.instance_id == inst.id))
    with pytest.raises(RuntimeError):
        mini.executor.run(FailsAfterProjections(inst.id, task_id), "centre-1")
    assert runner.inbox.take(["applicant.notify"], 10, mini.clock.now()) == []
    with mini.db.session() as s:
        assert s.scalar(sa.select(sa.func.count(Job.id)).where(Job.instance_id == inst.id)) == 0
    runner.detach()


def test_X_WORKERS_the_serve_thread_runs_pushed_jobs_without_fetching(mini, monkeypatch):
    detach(mini)
    worker = InProcessWorker(mini, interval=30)  # polls rarely: only a push can wake it in time
    with _counting(mini, monkeypatch) as seen:
        worker.start()
        try:
            inst = _approve(mini, "PUSH-10")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with mini.db.reading() as s:
                    if s.get(Instance, inst).status == "completed":
                        break
                time.sleep(0.05)
        finally:
            worker.stop()
    assert mini.instance(inst).status == "completed"
    assert "fetch_and_lock" not in seen["commands"] and "complete_job" in seen["commands"]
    assert not mini.pushing_to(worker.runner.inbox)


def test_X_WORKERS_a_pushed_job_that_waited_past_its_lock_is_fetched_anew_not_run_on_the_old_lock(mini):
    run_pending(mini)
    inst = _approve(mini, "PUSH-11")
    mini.wall_clock.advance(dt.timedelta(seconds=LOCK_SECONDS + 1))  # any worker could have fetched it by now
    [done] = run_pending(mini)  # so the runner fetches it (a new lock) instead of running it as pushed
    assert "result" in done and "refused" not in done
    assert _job(mini, inst).attempts == 2 and mini.instance(inst).status == "completed"


def test_X_WORKERS_every_job_of_a_jiangyin_case_is_pushed_none_fetched(scenario, monkeypatch):
    """The happy path of bench/throughput.py: each of its jobs takes one transaction (its
    completion, which keeps its record), none a fetch-and-lock."""
    run_pending(scenario.engine)  # attach the runner before the first job
    scenario.at("2026-11-06T09:00:00+08:00")
    with _counting(scenario.engine, monkeypatch) as seen:
        case = scenario.start("jiangyin_one_door", {
            "channel": "window", "applicant_name": "张秀英", "applicant_id_number": "11010519491231002X",
            "applicant_phone": "13912345678", "applicant_address": "江阴市澄江街道人民路8号",
            "aid_types": ["dibao"], "reason": "丈夫去世，本人患病无收入"}, business_key="JY-PUSH-1")
        case.run_workers()
        case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
        case.complete("Task_Accept", {"eligible": "yes", "urgent": "no"})
        case.complete("Task_Dispatch", {"dispatch_route": "dispatch", "departments": ["civil-affairs"]})
        case.complete("Task_DeptIntake", as_group="dept:civil-affairs", data={
            "materials_notice": "请携带户口簿、身份证到民政局", "handling_days": 20, "local_verification": "none"})
        case.complete("Task_DeptDecision", as_group="dept:civil-affairs", data={
            "department_approved": "yes", "department_decision": "同意救助", "department_amount": 800,
            "policy_basis": "《社会救助暂行办法》第九条", "aid_start_date": "2026-12-01", "aid_period_months": 12})
        case.complete("Task_Summary", {"summary": "享受最低生活保障每月800元", "refer": "no"})
    assert case.status == "completed"
    jobs = seen["commands"].count("complete_job")
    assert jobs >= 6 and seen["commands"].count("fetch_and_lock") == 0
    assert seen["commands"].count("keep_record") == 0  # kept by the completions, and nothing else runs
    assert len(seen["commands"]) == 1 + 2 * 6 + jobs  # start; claim + complete per task; the jobs
    with scenario.engine.db.reading() as s:  # each job's record is there, named in its result
        results = s.scalars(sa.select(Job.result).where(Job.instance_id == case.id)).all()
    assert sum(1 for r in results if r.get("entry_id") or r.get("notification_id") or r.get("dispatch_id")) == jobs
