"""`relief worker` as a real process: killed mid-job it loses its lock and the job runs
again (at least once, ending correct once); on SIGTERM it finishes the job in hand."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import sqlalchemy as sa

from api.settings import ROOT
from engine.store.models import AuditEvent, HumanTask, Job
from engine.store.records import Dispatch, LedgerEntry, Notification
from tests.engine.helpers import mini_bundle
from tests.workers.conftest import worker_token
from workers.runner import run_pending

CENTRE = ("user-centre", ("dispatcher",), ("county-centre",))
_deployed: set[str] = set()


def _case_waiting_for_notify(engine, key: str) -> str:
    from engine.auth import Principal

    if engine.db.url not in _deployed:
        engine.deploy(mini_bundle(), "test")
        _deployed.add(engine.db.url)
    who = Principal(*CENTRE)
    inst = engine.start("mini_case", {"applicant_phone": "13812345678", "applicant_name": "张三"}, key, "clerk")
    with engine.db.session() as s:
        task_id = s.scalar(sa.select(HumanTask.id).where(HumanTask.instance_id == inst.id, HumanTask.state == "open"))
    engine.claim(task_id, who)
    engine.complete(task_id, {"approved": "yes"}, who)
    return inst.id


def _worker(live, token: str, sms_url: str | None = None, topics: str = "applicant.notify") -> subprocess.Popen:
    """`relief worker` with --url and --token only: no database URL in its environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RELIEF_DATABASE_URL", "RELIEF_SMS_GATEWAY_URL", "RELIEF_DATA_PLATFORM_URL")}
    if sms_url:
        env["RELIEF_SMS_GATEWAY_URL"] = sms_url
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--url", live.base, "--token", token,
                             "--topics", topics, "--wait-seconds", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait(event: threading.Event, proc: subprocess.Popen, what: str) -> None:
    if not event.wait(60):
        proc.kill()
        raise AssertionError(f"{what} did not happen; worker output:\n{proc.communicate()[0]}")


def test_X_WORKERS_worker_killed_mid_job_loses_its_lock_and_the_job_runs_again_once(live, engine, outside,
                                                                                    monkeypatch):
    sms = outside("sms")
    sms.hold = threading.Event()  # the first text stays "in flight" at the gateway
    inst = engine.instance(_case_waiting_for_notify(engine, "KILL-1"))
    proc = _worker(live, worker_token(engine), sms.url)
    _wait(sms.arrived, proc, "the first delivery to the SMS gateway")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    with engine.db.session() as s:
        [job] = s.scalars(sa.select(Job).where(Job.instance_id == inst.id)).all()
    assert job.state == "pending" and job.lock_owner  # still locked by the dead worker
    assert run_pending(engine, topics=["applicant.notify"]) == []  # nobody else may take it yet

    engine.wall_clock.advance(dt.timedelta(seconds=301))  # the lock expires (real time: the wall clock)
    monkeypatch.setenv("RELIEF_SMS_GATEWAY_URL", sms.url)
    [again] = run_pending(engine, topics=["applicant.notify"])
    assert again["job"] == job.id and again["result"]["gateway"] == {"ok": True}
    assert engine.instance(inst.id).status == "completed"
    keys = [r.headers["Idempotency-Key"] for r in sms.received]
    assert len(keys) == 2 and keys[0] == keys[1] == job.idempotency_key  # the gateway can drop the second
    with engine.db.session() as s:
        notes = s.scalars(sa.select(Notification).where(Notification.instance_id == inst.id)).all()
        completes = s.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == inst.id, AuditEvent.command == "complete_job"))
        job = s.get(Job, job.id)
    assert [(n.status, n.template) for n in notes] == [("sent", "approved")]
    assert completes == 1 and job.state == "completed" and job.attempts == 2


def test_X_WORKERS_worker_stops_on_sigterm_after_finishing_the_job_in_hand(live, engine, outside):
    sms = outside("sms")
    sms.hold = release = threading.Event()
    inst = engine.instance(_case_waiting_for_notify(engine, "TERM-1"))
    proc = _worker(live, worker_token(engine), sms.url)
    _wait(sms.arrived, proc, "the delivery to the SMS gateway")
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert proc.poll() is None  # still finishing the job in hand
    release.set()
    output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output
    assert "stopped" in output and "completed" in output
    assert engine.instance(inst.id).status == "completed"


def test_X_WORKERS_a_worker_with_only_url_and_token_keeps_the_case_records_through_the_api(live, engine, tmp_path):
    from workers.data_import import import_file

    registry = tmp_path / "registry.csv"
    registry.write_text("id_number,household_id,name,relation,income_monthly,assets,medical_insurance,disability\n"
                        "320281198001010025,HH-9,王五,户主,900,1000,城乡居民医保,\n"
                        "32028120050101002X,HH-9,王小五,子女,0,0,城乡居民医保,\n", "utf-8")
    import_file(engine.db, registry)
    inst = _case_waiting_for_notify(engine, "REMOTE-1")  # its notice job waits
    queued = {"ledger.record": {"stage": "acceptance", "summary": "受理，材料齐全"},
              "department.dispatch": {"department": "civil-affairs", "aid_type": "dibao"},
              "household.fetch": {"id_number": "320281198001010025"}}
    for topic, params in queued.items():
        engine.queue_job(inst, topic, params, f"REMOTE-1:{topic}", "test")
    engine.queue_job(inst, "household.fetch", {"id_number": "110101199001010011"}, "REMOTE-1:unknown", "test")

    proc = _worker(live, worker_token(engine), topics="applicant.notify," + ",".join(queued))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.db.session() as s:
            jobs = s.scalars(sa.select(Job).where(sa.or_(Job.instance_id == inst, Job.case_id == inst))).all()
        if len(jobs) == 5 and all(j.state == "completed" for j in jobs):
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output
    assert all(j.state == "completed" for j in jobs), output
    results = {j.idempotency_key.removeprefix("REMOTE-1:"): j.result for j in jobs}
    with engine.db.session() as s:
        [note] = s.scalars(sa.select(Notification).where(Notification.instance_id == inst)).all()
        [entry] = s.scalars(sa.select(LedgerEntry).where(LedgerEntry.instance_id == inst)).all()
        [dispatch] = s.scalars(sa.select(Dispatch).where(Dispatch.instance_id == inst)).all()
    assert (note.channel, note.to, note.template, note.status) == ("sms", "13812345678", "approved", "queued")
    assert "张三" in note.message
    # Dated by the server's clock (Beijing time), not the worker machine's.
    assert (entry.stage, entry.summary, entry.business_key, entry.recorded_on.isoformat()) == \
        ("acceptance", "受理，材料齐全", "REMOTE-1", "2026-11-02")
    assert (dispatch.kind, dispatch.target, dispatch.mode, dispatch.payload) == \
        ("department", "civil-affairs", "worklist", {"aid_type": "dibao"})
    assert results["ledger.record"]["entry_id"] == entry.id and results["department.dispatch"]["dispatch_id"] == \
        dispatch.id
    household = results["household.fetch"]["household"]
    assert household["household_id"] == "HH-9" and household["size"] == 2 and household["income_per_capita"] == 450
    assert results["unknown"] == {"found": False, "household": {}}
    assert engine.instance(inst).status == "completed"
