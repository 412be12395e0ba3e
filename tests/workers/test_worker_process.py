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
from engine.store.records import Notification
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


def _worker(live, token: str, engine, sms_url: str) -> subprocess.Popen:
    env = dict(os.environ, RELIEF_SMS_GATEWAY_URL=sms_url)
    env.pop("RELIEF_DATABASE_URL", None)  # the worker token is the only credential (X-WORKERS)
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--url", live.base, "--token", token,
                             "--topics", "applicant.notify", "--wait-seconds", "1"],
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
    proc = _worker(live, worker_token(engine), engine, sms.url)
    _wait(sms.arrived, proc, "the first delivery to the SMS gateway")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    with engine.db.session() as s:
        [job] = s.scalars(sa.select(Job).where(Job.instance_id == inst.id)).all()
    assert job.state == "pending" and job.lock_owner  # still locked by the dead worker
    assert run_pending(engine, topics=["applicant.notify"]) == []  # nobody else may take it yet

    engine.advance_clock(dt.timedelta(seconds=301))  # the lock expires
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
    proc = _worker(live, worker_token(engine), engine, sms.url)
    _wait(sms.arrived, proc, "the delivery to the SMS gateway")
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert proc.poll() is None  # still finishing the job in hand
    release.set()
    output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output
    assert "stopped" in output and "completed" in output
    assert engine.instance(inst.id).status == "completed"
