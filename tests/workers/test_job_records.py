"""The case records a worker keeps through the API for the job it holds (X-WORKERS): only
the lock holder with a token for the job's topic, only the records that topic needs
(J-SEC), bad input refused naming the field, and one record however often the job is
delivered (W-LEDGER, at-least-once delivery)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.errors import Conflict
from engine.store.records import Dispatch, LedgerEntry
from tests.workers.conftest import worker_token
from workers.protocol import HttpSource
from workers.records import HttpRecords

DISPATCH = {"kind": "department", "target": "civil-affairs", "mode": "worklist", "payload": {"aid_type": "dibao"}}


def _count(engine, model) -> int:
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def _held_dispatch(live, handoff, key: str) -> tuple[HttpSource, str, str]:
    """A dispatch job of the test diagram, locked over HTTP by worker `w1`: (source, job id, token)."""
    handoff.start("worker_handoff", {"department": "civil-affairs"}, key, "clerk")
    token = worker_token(handoff, f"dispatch-{key}", ["department.dispatch"])
    source = HttpSource(live.base, token, "w1")
    [job] = source.fetch(["department.dispatch"], 1, 60, 0)
    return source, job.id, token


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_X_WORKERS_record_endpoints_serve_only_the_lock_holder_with_a_token_for_the_jobs_topic(live, handoff):
    holder, job_id, token = _held_dispatch(live, handoff, "REC-AUTH-1")
    path = f"/api/v1/jobs/{job_id}/records/dispatch"
    notifier = worker_token(handoff, "notify-only", ["applicant.notify"])
    r = live.call("POST", path, headers=_as(notifier), json={"worker_id": "w1", **DISPATCH})
    assert r.status_code == 403 and r.json()["details"]["topic"] == "department.dispatch"
    r = live.call("GET", f"/api/v1/jobs/{job_id}/data/households?worker_id=w1&id_number=320281198001010025",
                  headers=_as(notifier))
    assert r.status_code == 403
    # The same credential as another worker id, or another credential as the same id: not the lock owner.
    r = live.call("POST", path, headers=_as(token), json={"worker_id": "w2", **DISPATCH})
    assert r.status_code == 409
    other = worker_token(handoff, "dispatch-other", ["department.dispatch"])
    r = live.call("POST", path, headers=_as(other), json={"worker_id": "w1", **DISPATCH})
    assert r.status_code == 409
    # A user's token is no worker token.
    assert live.call("POST", path, as_="centre", json={"worker_id": "w1", **DISPATCH}).status_code == 401
    assert _count(handoff, Dispatch) == 0

    handoff.wall_clock.advance(dt.timedelta(seconds=61))  # the lock expires (real time: the wall clock)
    with pytest.raises(Conflict):
        HttpRecords(holder, job_id).keep("dispatch", DISPATCH)
    assert _count(handoff, Dispatch) == 0
    [again] = holder.fetch(["department.dispatch"], 1, 60, 0)
    assert HttpRecords(holder, again.id).keep("dispatch", DISPATCH)["target"] == "civil-affairs"
    assert _count(handoff, Dispatch) == 1


def test_J_SEC_a_job_keeps_only_the_records_its_topic_needs(live, handoff):
    holder, job_id, token = _held_dispatch(live, handoff, "REC-SEC-1")
    r = live.call("GET", f"/api/v1/jobs/{job_id}/data/households?worker_id=w1&id_number=320281198001010025",
                  headers=_as(token))
    assert r.status_code == 403 and r.json()["details"]["record"] == "registry"  # no registry for a dispatcher
    r = live.call("POST", f"/api/v1/jobs/{job_id}/records/ledger", headers=_as(token),
                  json={"worker_id": "w1", "stage": "acceptance"})
    assert r.status_code == 403 and r.json()["details"]["allowed_topics"] == ["ledger.record"]
    assert _count(handoff, LedgerEntry) == 0


def test_X_WORKERS_a_bad_record_body_is_refused_naming_the_field_and_nothing_is_stored(live, handoff):
    holder, job_id, token = _held_dispatch(live, handoff, "REC-BAD-1")
    r = live.call("POST", f"/api/v1/jobs/{job_id}/records/dispatch", headers=_as(token),
                  json={"worker_id": "w1", "kind": "department", "mode": "fax", "payload": {}})
    assert r.status_code == 422
    assert set(r.json()["details"]["fields"]) == {"mode", "target"} and "mode" in r.json()["message"]
    r = live.call("GET", f"/api/v1/jobs/{job_id}/data/households?worker_id=w1&id_number=12345",
                  headers=_as(token))
    assert r.status_code == 422 and "id_number" in r.json()["details"]["fields"]
    r = live.call("POST", f"/api/v1/jobs/{job_id}/records/dispatch", headers=_as(token), json=DISPATCH)
    assert r.status_code == 422 and "worker_id" in r.json()["details"]["fields"]
    assert _count(handoff, Dispatch) == 0
    with handoff.db.session() as s:
        from engine.store.models import Job

        job = s.get(Job, job_id)
    assert job.state == "pending" and job.lock_owner.endswith(":w1")  # still held, nothing else changed


def test_W_LEDGER_a_job_delivered_twice_keeps_one_ledger_entry(live, engine):
    from tests.engine.helpers import mini_bundle

    engine.deploy(mini_bundle(), "test")
    inst = engine.start("mini_case", {}, "REC-TWICE-1", "clerk")
    engine.queue_job(inst.id, "ledger.record", {"stage": "acceptance"}, "REC-TWICE-1:ledger", "test")
    token = worker_token(engine, "ledger-1", ["ledger.record"])
    first, second = HttpSource(live.base, token, "first"), HttpSource(live.base, token, "second")
    [job] = first.fetch(["ledger.record"], 1, 60, 0)
    path = f"/{job.id}/records/ledger"
    kept = first.call("POST", path, {"stage": "acceptance", "summary": "受理"})
    assert kept["created"] and kept["record"]["recorded_on"] == "2026-11-02"
    engine.wall_clock.advance(dt.timedelta(seconds=61))  # the first worker is presumed dead; delivered again
    [again] = second.fetch(["ledger.record"], 1, 60, 0)
    assert again.id == job.id
    found = second.call("POST", path, {"stage": "acceptance", "summary": "受理"})
    assert not found["created"] and found["record"]["id"] == kept["record"]["id"]
    with pytest.raises(Conflict):  # the first delivery lost its lock
        first.call("POST", path, {"stage": "acceptance"})
    with engine.db.session() as s:
        [entry] = s.scalars(sa.select(LedgerEntry).where(LedgerEntry.instance_id == inst.id)).all()
    assert (entry.stage, entry.summary, entry.business_key) == ("acceptance", "受理", "REC-TWICE-1")


def test_X_WORKERS_the_record_endpoints_are_in_the_openapi_document(live):
    spec = live.call("GET", "/api/v1/openapi.json").json()
    paths = spec["paths"]
    for kind, schema in (("notification", "NotificationRecordIn"), ("ledger", "LedgerRecordIn"),
                         ("dispatch", "DispatchRecordIn")):
        body = paths[f"/api/v1/jobs/{{job_id}}/records/{kind}"]["post"]["requestBody"]
        assert body["content"]["application/json"]["schema"]["$ref"].endswith(schema)
    for path in ("/api/v1/jobs/{job_id}/records/notification/sent", "/api/v1/jobs/{job_id}/records/hotline-status",
                 "/api/v1/jobs/{job_id}/data/households", "/api/v1/jobs/{job_id}/data/grants"):
        assert path in paths, path
