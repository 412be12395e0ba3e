"""A job's record kept in its completion's transaction (X-WORKERS, issue 15): one commit for
the record and the completion, or neither; the record once however often the job is
delivered (W-LEDGER); the result the diagram and the audit chain see names the record as
written; bad input refused naming the field, nothing stored."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.errors import Conflict, Forbidden, ValidationFailed
from engine.records import CompletionRecord
from engine.store.models import AuditEvent, Job
from engine.store.records import Dispatch, LedgerEntry
from tests.engine.helpers import mini_bundle
from tests.workers.conftest import worker_token
from workers.protocol import HttpSource

LEDGER = CompletionRecord("ledger", {"stage": "acceptance", "summary": "受理"},
                          {"entry_id": "id", "recorded_on": "recorded_on", "late": "late"})


@pytest.fixture
def ledger_job(engine):
    """(engine, case id, job id): a ledger job of a mini case, locked by worker `first`."""
    engine.deploy(mini_bundle(), "test")
    inst = engine.start("mini_case", {}, f"CREC-{dt.datetime.now().timestamp()}", "clerk")
    engine.queue_job(inst.id, "ledger.record", {"stage": "acceptance"}, f"{inst.id}:ledger", "test")
    [job] = engine.fetch_and_lock("first", ["ledger.record"], 1, 60)
    return engine, inst.id, job.id


def _entries(engine, case_id: str) -> list[LedgerEntry]:
    with engine.db.reading() as s:
        return list(s.scalars(sa.select(LedgerEntry).where(LedgerEntry.instance_id == case_id)).all())


def test_W_LEDGER_a_completion_keeps_its_record_and_names_it_in_the_result_and_the_audit_event(ledger_job):
    engine, case_id, job_id = ledger_job
    job = engine.complete_job(job_id, "first", {"stage": "acceptance"}, LEDGER)
    [entry] = _entries(engine, case_id)
    assert job.state == "completed"
    assert job.result == {"stage": "acceptance", "entry_id": entry.id, "recorded_on": "2026-11-02", "late": False}
    with engine.db.reading() as s:
        event = s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == case_id,
                                                      AuditEvent.command == "complete_job")).one()
    assert event.input["result"] == job.result and event.input["record"] == {"kind": "ledger", "id": entry.id}
    assert engine.replay_case(case_id).ok  # the chain verifies and re-executes to the same state


def test_W_LEDGER_a_completion_after_an_earlier_delivery_kept_the_record_finds_it(ledger_job):
    engine, case_id, job_id = ledger_job
    kept, created = engine.keep_record(job_id, "first", "ledger", LEDGER.fields)  # the old two-step path
    assert created
    engine.wall_clock.advance(dt.timedelta(seconds=61))  # the first worker is presumed dead (real time)
    [again] = engine.fetch_and_lock("second", ["ledger.record"], 1, 60)
    job = engine.complete_job(again.id, "second", {"stage": "acceptance"}, LEDGER)
    assert [e.id for e in _entries(engine, case_id)] == [kept["id"]] and job.result["entry_id"] == kept["id"]


def test_X_WORKERS_a_refused_completion_keeps_no_record(ledger_job):
    engine, case_id, job_id = ledger_job
    engine.wall_clock.advance(dt.timedelta(seconds=61))  # the lock expired (real time: the wall clock)
    with pytest.raises(Conflict):
        engine.complete_job(job_id, "first", {"stage": "acceptance"}, LEDGER)
    with pytest.raises(Forbidden):  # a ledger job may not keep a dispatch
        [again] = engine.fetch_and_lock("second", ["ledger.record"], 1, 60)
        engine.complete_job(again.id, "second", {}, CompletionRecord(
            "dispatch", {"kind": "referral", "target": "x", "mode": "worklist"}, {"referral_id": "id"}))
    with pytest.raises(ValidationFailed) as err:  # a column the record does not have
        engine.complete_job(again.id, "second", {}, CompletionRecord("ledger", {"stage": "a"}, {"x": "nope"}))
    assert "record.into" in err.value.details["fields"]
    assert _entries(engine, case_id) == []
    with engine.db.reading() as s:
        assert s.get(Job, job_id).state == "pending"


def test_X_WORKERS_over_http_a_completion_keeps_its_record_and_refuses_a_bad_one_naming_the_field(live, handoff):
    handoff.start("worker_handoff", {"department": "civil-affairs"}, "CREC-HTTP-1", "clerk")
    token = worker_token(handoff, "dispatch-crec", ["department.dispatch"])
    source = HttpSource(live.base, token, "w1")
    [job] = source.fetch(["department.dispatch"], 1, 60, 0)
    path = f"/api/v1/jobs/{job.id}/complete"
    headers = {"Authorization": f"Bearer {token}"}
    bad = {"worker_id": "w1", "variables": {}, "record": {"kind": "dispatch", "into": {"dispatch_id": "id"},
                                                            "fields": {"kind": "department", "mode": "fax"}}}
    r = live.call("POST", path, headers=headers, json=bad)
    assert r.status_code == 422 and set(r.json()["details"]["fields"]["record"]["fields"]) == {"mode", "target"}
    r = live.call("POST", path, headers=headers, json={**bad, "record": {**bad["record"], "kind": "parcel"}})
    assert r.status_code == 422 and "kind" in r.json()["details"]["fields"]["record"]
    not_a_column = {"kind": "dispatch", "into": {"dispatch_id": "colour"},
                    "fields": {"kind": "department", "target": "civil-affairs", "mode": "worklist"}}
    r = live.call("POST", path, headers=headers, json={**bad, "record": not_a_column})
    named = r.json()["details"]["fields"]["record"]["into"]["dispatch_id"]["value"]
    assert r.status_code == 422 and "target" in named[0]  # the columns it may name
    with handoff.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Dispatch)) == 0
        assert s.get(Job, job.id).state == "pending"

    result = source.complete(job.id, {"department": "civil-affairs"}, CompletionRecord(
        "dispatch", {"kind": "department", "target": "civil-affairs", "mode": "worklist"}, {"dispatch_id": "id"}))
    with handoff.db.reading() as s:
        [row] = s.scalars(sa.select(Dispatch).where(Dispatch.idempotency_key == s.get(Job, job.id).idempotency_key))
    assert result == {"department": "civil-affairs", "dispatch_id": row.id}


def test_a_case_whose_detached_job_completed_replays_to_the_same_state(ledger_job):
    """The auditor's re-execution skips a detached job's completion (no element waited on it:
    element "-"), as it must; it reported a divergence before."""
    engine, case_id, job_id = ledger_job
    engine.complete_job(job_id, "first", {"stage": "acceptance"})
    assert engine.replay_case(case_id).ok


def test_X_WORKERS_the_openapi_document_states_each_record_kind_a_completion_may_keep(live):
    """A department system's developer reads the completion's `record` as one schema per kind:
    the fields of /records/{kind} and `into` naming only that kind's columns."""
    doc = live.call("GET", "/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]
    record = schemas["CompleteJobRequest"]["properties"]["record"]
    assert record["discriminator"]["propertyName"] == "kind"
    assert set(record["discriminator"]["mapping"]) == {"notification", "ledger", "dispatch"}
    ledger = schemas["LedgerCompletionRecord"]["properties"]
    assert ledger["kind"]["enum"] == ["ledger"]
    assert ledger["fields"]["allOf"] == [{"$ref": "#/components/schemas/LedgerFields"}]
    assert {"id", "recorded_on", "late"} <= set(ledger["into"]["additionalProperties"]["enum"])
    assert "worker_id" not in schemas["LedgerFields"]["properties"]
    assert "worker_id" in schemas["LedgerRecordIn"]["properties"]
