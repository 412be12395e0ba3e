"""deploy/local_cluster.sh (issue 15): two app processes, a scheduler and a worker — four
processes on one PostgreSQL — carry cases together: a task completed through one app
process, the job it opens run by the separate worker over HTTP, a deadline fired by the
separate scheduler after `relief clock advance` from yet another process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.store.models import Job, Timer
from tests.api.conftest import Client
from tests.support.cluster import local_cluster, relief, until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def cluster(engine, live, tmp_path) -> Iterator[tuple[Client, dict[str, str]]]:  # noqa: ARG001 - live seeds users
    if engine.db.is_sqlite:
        pytest.skip("a cluster shares PostgreSQL")
    with local_cluster(engine.db.url, tmp_path, ready_seconds=90) as (client, env):
        yield client, env


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

    review = until(lambda: _task(client, "centre", approved["id"], "审核"), 30, "the review task did not show")
    r = client.call("POST", f"/api/v1/tasks/{review['id']}/complete", as_="centre", json={"data": {"approved": "yes"}})
    assert r.status_code == 200, r.text
    until(lambda: client.call("GET", f"/api/v1/instances/{approved['id']}", as_="window").json()["status"]
           == "completed", 90, "the worker process did not run the notification job")

    relief(env, "clock", "advance", "5d", timeout=60)
    until(lambda: _task(client, "supervisor", late["id"], "督办"), 90,
           "the scheduler process did not fire the deadline")

    with engine.db.reading() as s:
        jobs = s.execute(sa.select(Job.state, Job.lock_owner).where(Job.instance_id == approved["id"])).all()
        timers = s.execute(sa.select(Timer.state).where(Timer.instance_id == late["id"])).scalars().all()
    assert [state for state, _owner in jobs] == ["completed"]
    assert timers.count("fired") == 1
