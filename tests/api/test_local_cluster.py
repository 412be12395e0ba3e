"""deploy/local_cluster.sh (issue 15): two app processes, a scheduler and a worker — four
processes on one PostgreSQL — carry cases together: a task completed through one app
process, the job it opens run by the separate worker over HTTP, a deadline fired by the
separate scheduler after `relief clock advance` from yet another process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.store.models import Job, Timer
from tests.api.conftest import Client
from tests.api.test_serve_processes import _answers, _free_port

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def _until(what: Callable[[], Any], seconds: float = 90, message: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while not (got := what()):
        assert time.monotonic() < deadline, message
        time.sleep(0.25)
    return got


@pytest.fixture
def cluster(engine, live, tmp_path) -> Iterator[tuple[Client, dict[str, str]]]:  # noqa: ARG001 - live seeds users
    if engine.db.is_sqlite:
        pytest.skip("a cluster shares PostgreSQL")
    port = _free_port()
    env = {**os.environ, "RELIEF_DATABASE_URL": engine.db.url, "RELIEF_MODE": "test", "RELIEF_VAR_DIR": str(tmp_path),
           "RELIEF_SECRET_KEY": "test-secret-key-not-for-production", "PYTHONPATH": str(ROOT),
           "RELIEF_BIN": f"{sys.executable} -m api.cli"}
    log = (tmp_path / "cluster.log").open("w")
    parts = subprocess.Popen(["bash", str(ROOT / "deploy" / "local_cluster.sh"), str(port)], cwd=ROOT, env=env,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: parts.poll() is not None or _answers(base), 90, "the cluster did not come up")
        assert parts.poll() is None, (tmp_path / "cluster.log").read_text()
        yield Client(base), env
    finally:
        os.killpg(parts.pid, signal.SIGTERM)
        parts.wait(timeout=60)
        log.close()
        subprocess.run([sys.executable, "-m", "api.cli", "clock", "reset"], cwd=ROOT, env=env, capture_output=True,
                       timeout=60, check=False)


def _deploy_mini(client: Client) -> None:
    files = [("files", ("mini.bpmn", (FIXTURES / "mini.bpmn").read_bytes(), "application/xml")),
             ("files", ("mini/review.json", (FIXTURES / "forms/mini/review.json").read_bytes(), "application/json"))]
    r = client.call("POST", "/api/v1/deployments", as_="designer", files=files)
    assert r.status_code in (200, 201), r.text


def _start(client: Client, key: str) -> dict[str, Any]:
    r = client.call("POST", "/api/v1/instances", as_="window",
                    json={"definition": "mini_case", "business_key": key, "data": {}})
    assert r.status_code == 201, r.text
    return r.json()


def _task(client: Client, as_: str, instance: str, name: str) -> dict[str, Any] | None:
    tasks = client.call("GET", "/api/v1/tasks", as_=as_).json()
    return next((t for t in tasks if t.get("instance_id") == instance and t.get("name") == name), None)


def test_the_parts_of_a_cluster_carry_a_case_each_part_once(cluster, engine):
    """X-WORKERS, X-TIMERS: the job runs once, in the worker process; the timer fires once, in
    the scheduler process; both cases are where they should be, whichever app process answered."""
    client, env = cluster
    _deploy_mini(client)
    approved = _start(client, "CLUSTER-JOB")
    late = _start(client, "CLUSTER-TIMER")

    review = _until(lambda: _task(client, "centre", approved["id"], "审核"), 30, "the review task did not show")
    r = client.call("POST", f"/api/v1/tasks/{review['id']}/complete", as_="centre", json={"data": {"approved": "yes"}})
    assert r.status_code == 200, r.text
    _until(lambda: client.call("GET", f"/api/v1/instances/{approved['id']}", as_="window").json()["status"]
           == "completed", 90, "the worker process did not run the notification job")

    advanced = subprocess.run([sys.executable, "-m", "api.cli", "clock", "advance", "5d"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert advanced.returncode == 0, advanced.stderr
    _until(lambda: _task(client, "supervisor", late["id"], "督办"), 90,
           "the scheduler process did not fire the deadline")

    with engine.db.reading() as s:
        jobs = s.execute(sa.select(Job.state, Job.lock_owner).where(Job.instance_id == approved["id"])).all()
        timers = s.execute(sa.select(Timer.state).where(Timer.instance_id == late["id"])).scalars().all()
    assert [state for state, _owner in jobs] == ["completed"]
    assert timers.count("fired") == 1
