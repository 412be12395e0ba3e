"""Issue 9 defect 12: after a crash, a job the dead process held waited for its 300 s lock.
A restarted `relief serve` (same host, same port: same runner name) takes back what its
previous incarnation held, at once; nobody else's jobs (X-WORKERS)."""

from __future__ import annotations

import threading
import time

import requests
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD, seed
from engine.store.models import AuditEvent, Job
from tests.engine.helpers import mini_bundle
from tests.support import races
from tests.support.serve import ServeProcess, free_port
from workers.runner import InProcessWorker


def _job(engine, instance_id: str) -> Job:
    with engine.db.session() as s:
        return s.scalars(sa.select(Job).where(Job.instance_id == instance_id)).one()


def test_defect12_a_restarted_server_takes_back_the_job_it_died_holding(engine, outside, tmp_path):
    with engine.db.session() as s:
        seed(s, engine.clock.now())
    engine.deploy(mini_bundle(), "test")
    sms = outside("sms")
    sms.hold = held = threading.Event()  # the text stays "in flight" until the server dies
    server = ServeProcess(engine.db.url, free_port(), tmp_path / "serve.log", {"RELIEF_SMS_GATEWAY_URL": sms.url})
    server.start()
    try:
        headers = {"Authorization": f"Bearer {server.token('window', DEMO_PASSWORD)}"}
        r = requests.post(f"{server.base}/api/v1/instances", headers=headers, timeout=30,
                          json={"definition": "mini_case", "business_key": "RESTART-1",
                                "data": {"applicant_phone": "13812345678"}})
        assert r.status_code == 201, r.text
        instance = r.json()["id"]
        headers = {"Authorization": f"Bearer {server.token('centre', DEMO_PASSWORD)}"}
        [task] = requests.get(f"{server.base}/api/v1/tasks", headers=headers, timeout=30).json()
        r = requests.post(f"{server.base}/api/v1/tasks/{task['id']}/complete", headers=headers, timeout=30,
                          json={"data": {"approved": "yes"}})
        assert r.status_code == 200, r.text
        # The notice job was pushed to the server's own runner, whose handler now waits on the gateway.
        assert sms.arrived.wait(60), server.output()
        server.kill()
        job = _job(engine, instance)
        assert (job.state, job.lock_owner, job.attempts) == ("pending", server.worker_id, 1)
        held.set()

        server.start()  # the same host and port: the same runner, which takes its job back
        deadline = time.monotonic() + 60  # far less than the 300 s lock; the clock does not move
        while time.monotonic() < deadline and _job(engine, instance).state == "pending":
            time.sleep(0.2)
        job = _job(engine, instance)
        assert job.state == "completed", server.output()
        assert job.attempts == 2 and engine.instance(instance).status == "completed"
        assert "took back 1 job(s)" in server.output()
        keys = [r.headers["Idempotency-Key"] for r in sms.received]
        assert keys == [job.idempotency_key] * 2  # the gateway can drop the second
        with engine.db.session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
                AuditEvent.instance_id == instance, AuditEvent.command == "complete_job")) == 1
    finally:
        server.stop()


def test_defect12_a_worker_takes_back_only_its_own_jobs(engine):
    """Jobs locked by another live worker keep their lock; only the restarted one's end."""
    engine.deploy(mini_bundle(), "test")
    for key in ("MINE", "THEIRS"):
        _inst, task = races.open_task(engine, key)
        engine.complete(task, {"approved": "yes"}, races.CENTRE)
        engine.fetch_and_lock(f"worker-{key.lower()}", ["applicant.notify"], max_jobs=1)
    worker = InProcessWorker(engine, interval=0.05, worker_id="worker-mine")
    worker.start()  # as after a restart: the jobs of "worker-mine" are its own
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _states(engine)["MINE"][0] == "pending":
            time.sleep(0.05)
    finally:
        worker.stop()
    assert _states(engine) == {"MINE": ("completed", None, 2), "THEIRS": ("pending", "worker-theirs", 1)}


def _states(engine) -> dict[str, tuple]:
    with engine.db.session() as s:
        return {j.variables["business_key"]: (j.state, j.lock_owner, j.attempts) for j in s.scalars(sa.select(Job))}
