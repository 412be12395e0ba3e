"""The worker protocol over HTTP (X-WORKERS): worker tokens limited to the job
endpoints and their topics, locks, at-least-once delivery, BPMN errors, incidents."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.errors import Conflict, Forbidden
from engine.store.models import AuditEvent, Job
from tests.workers.conftest import run_over_http, worker_token
from workers.protocol import HttpSource


def _jobs(engine, instance_id):
    with engine.db.session() as s:
        return list(s.scalars(sa.select(Job).where(Job.instance_id == instance_id).order_by(Job.created_at)))


def test_X_WORKERS_worker_token_is_limited_to_job_endpoints_and_its_topics(live, handoff):
    token = worker_token(handoff, "notify-only", ["applicant.notify"])
    auth = {"Authorization": f"Bearer {token}"}
    body = {"worker_id": "w1", "topics": [{"name": "department.dispatch"}]}
    r = live.call("POST", "/api/v1/jobs/fetch-and-lock", headers=auth, json=body)
    assert r.status_code == 403 and r.json()["details"]["topics"] == ["department.dispatch"]
    r = live.call("GET", "/api/v1/tasks", headers=auth)
    assert r.status_code == 401 and "job endpoints" in r.json()["message"]
    # A user's bearer token is no worker token, whatever the user's roles.
    r = live.call("POST", "/api/v1/jobs/fetch-and-lock", as_="admin", json=body)
    assert r.status_code == 401
    r = live.call("POST", "/api/v1/jobs/fetch-and-lock", headers={"Authorization": "Bearer rw_nope.nope"}, json=body)
    assert r.status_code == 401
    # Completing a job of a topic the token may not handle is refused too.
    inst = handoff.start("worker_handoff", {"department": "civil-affairs"}, "H-TOK-1", "clerk")
    [job] = _jobs(handoff, inst.id)
    r = live.call("POST", f"/api/v1/jobs/{job.id}/complete", headers=auth, json={"worker_id": "w1"})
    assert r.status_code == 403
    assert _jobs(handoff, inst.id)[0].state == "pending"


def test_X_WORKERS_lost_lock_is_refused_with_409_and_the_job_runs_again(live, handoff):
    token = worker_token(handoff)
    inst = handoff.start("worker_handoff", {"department": "civil-affairs"}, "H-LOCK-1", "clerk")
    first, second = HttpSource(live.base, token, "first"), HttpSource(live.base, token, "second")
    [job] = first.fetch(["department.dispatch"], 5, 60, 0)
    assert job.idempotency_key == f"{inst.id}:{_jobs(handoff, inst.id)[0].task_id}"
    assert second.fetch(["department.dispatch"], 5, 60, 0) == []  # locked
    with pytest.raises(Conflict):
        second.complete(job.id, {"x": 1})
    first.extend_lock(job.id, 600)
    handoff.wall_clock.advance(dt.timedelta(seconds=300))  # real time passes (the wall clock)
    assert second.fetch(["department.dispatch"], 5, 60, 0) == []  # the extension holds
    handoff.wall_clock.advance(dt.timedelta(seconds=301))
    [again] = second.fetch(["department.dispatch"], 5, 60, 0)  # expired: delivered again
    assert again.id == job.id and again.idempotency_key == job.idempotency_key and again.attempts == 2
    with pytest.raises(Conflict):
        first.complete(job.id, {"late": True})
    second.complete(again.id, {"dispatch_id": 1})
    with pytest.raises(Conflict):
        second.complete(again.id, {"twice": True})
    [row] = _jobs(handoff, inst.id)[:1]
    assert row.state == "completed" and row.result == {"dispatch_id": 1}
    with handoff.db.session() as s:
        completes = s.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == inst.id, AuditEvent.command == "complete_job"))
    assert completes == 1


def test_X_WORKERS_bpmn_error_takes_the_error_boundary_event(live, handoff, department):
    department.answers = [(422, {"error": "not our matter"})]
    token = worker_token(handoff)
    inst = handoff.start("worker_handoff", {"department": "hrss", "applicant_phone": "13812345678"}, "H-ERR-1",
                         "clerk")
    [done] = run_over_http(live.base, token, handoff)
    assert done["bpmn_error"] == "DEPT_REFUSED"
    assert handoff.instance(inst.id).status == "completed"
    with handoff.db.session() as s:
        changes = [c for e in s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == inst.id))
                   for c in e.changes]
    assert any(c["element"] == "End_Refused" and c["to"] == "COMPLETED" for c in changes)
    assert not any(c["element"] == "Catch_Result" and c["to"] == "COMPLETED" for c in changes)


def test_X_WORKERS_bpmn_error_no_boundary_event_catches_becomes_an_incident(handoff):
    from workers.protocol import EngineSource

    inst = handoff.start("worker_handoff", {"department": "civil-affairs"}, "H-ERR-2", "clerk")
    source = EngineSource(handoff, "w")
    [job] = source.fetch(["department.dispatch"], 1, 60)
    source.bpmn_error(job.id, "NO_SUCH_CODE", "nobody catches this", {})
    [row] = _jobs(handoff, inst.id)
    assert row.state == "incident" and "NO_SUCH_CODE" in row.error
    assert handoff.instance(inst.id).status == "running"


def test_X_WORKERS_a_lock_is_a_lease_of_real_time_the_demo_clock_frees_no_job(handoff):
    """A lock is real elapsed time (the wall clock): moving the engine's clock days ahead, as
    a demo does to watch deadlines pass, leaves a job with the worker that holds it, which
    still completes it (a retry's delay, below, stays on the engine's clock)."""
    from workers.protocol import EngineSource

    inst = handoff.start("worker_handoff", {"department": "civil-affairs"}, "H-LEASE-1", "clerk")
    holder, other = EngineSource(handoff, "holder"), EngineSource(handoff, "other")
    [job] = holder.fetch(["department.dispatch"], 1, 60)
    handoff.advance_clock(dt.timedelta(days=3))
    assert other.fetch(["department.dispatch"], 1, 60) == []  # still held
    holder.extend_lock(job.id, 60)  # the holder is still the holder
    holder.complete(job.id, {"dispatch_id": 7})
    [row] = _jobs(handoff, inst.id)[:1]
    assert row.state == "completed" and row.result == {"dispatch_id": 7}


def test_X_WORKERS_failed_job_waits_for_its_retry_time(handoff):
    from workers.protocol import EngineSource

    inst = handoff.start("worker_handoff", {"department": "civil-affairs"}, "H-RETRY-1", "clerk")
    source = EngineSource(handoff, "w")
    [job] = source.fetch(["department.dispatch"], 1, 60)
    source.fail(job.id, "department system down", {"status": 503}, None, 120)
    assert source.fetch(["department.dispatch"], 1, 60) == []
    handoff.advance_clock(dt.timedelta(seconds=121))
    [again] = source.fetch(["department.dispatch"], 1, 60)
    [row] = _jobs(handoff, inst.id)
    assert again.id == job.id and row.retries == 2 and row.error_details == {"status": 503}
    with pytest.raises(Forbidden):
        handoff.identify_worker(worker_token(handoff, "limited", ["ledger.record"])).check("department.dispatch")


def test_X_WORKERS_long_poll_answers_with_a_job_that_becomes_due_while_waiting(live, handoff):
    import threading

    token = worker_token(handoff)
    got: list = []
    poll = threading.Thread(target=lambda: got.extend(
        HttpSource(live.base, token, "poller").fetch(["department.dispatch"], 1, 60, 30)))
    poll.start()
    inst = handoff.start("worker_handoff", {"department": "civil-affairs"}, "H-POLL-1", "clerk")
    poll.join(40)
    assert [j.instance_id for j in got] == [inst.id]


def test_X_WORKERS_the_protocol_is_in_the_openapi_document(live):
    paths = live.call("GET", "/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/jobs/fetch-and-lock", "/api/v1/jobs/{job_id}/complete", "/api/v1/jobs/{job_id}/fail",
                 "/api/v1/jobs/{job_id}/bpmn-error", "/api/v1/jobs/{job_id}/extend-lock", "/api/v1/incidents",
                 "/api/v1/incidents/{job_id}/retry", "/api/v1/intake/hotline", "/api/v1/outbox", "/api/v1/ledger.csv"):
        assert path in paths, path
