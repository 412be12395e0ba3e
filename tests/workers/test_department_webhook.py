"""Dispatch to a webhook department (J-DISPATCH, W-ROUTE): a signed JSON case to the
department's own system, which answers later with a signed message to the waiting case;
retries, incidents and their retry (X-WORKERS)."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from click.testing import CliRunner

from api.cli import main
from api.demo import JIANGYIN
from engine.auth.signatures import SENDER, SIGNATURE, TIMESTAMP, sign, signed_headers, verify
from engine.store.models import AuditEvent, Job
from engine.store.records import Dispatch, Notification
from tests.workers.conftest import DEPT_SECRET, run_over_http, worker_token


def _post_result(live, business_key: str, decision: str, secret: str = DEPT_SECRET, headers: dict | None = None):
    body = json.dumps({"name": "department_result", "business_key": business_key,
                       "payload": {"decision": decision, "approved": True}}).encode()
    return live.call("POST", "/api/v1/messages", data=body,
                     headers=headers or signed_headers("dept:hrss", secret, body))


def test_J_DISPATCH_webhook_department_gets_a_signed_case_and_answers_with_a_signed_message(live, handoff,
                                                                                           department):
    token = worker_token(handoff)
    inst = handoff.start("worker_handoff", {"department": "hrss", "applicant_name": "李四",
                                            "applicant_phone": "13812345678"}, "H-WH-1", "clerk", region=JIANGYIN)
    [done] = run_over_http(live.base, token, handoff)
    assert done["result"]["mode"] == "webhook"
    [got] = department.received
    verify(DEPT_SECRET, got.body, got.headers[TIMESTAMP], got.headers[SIGNATURE])  # the department can check us
    [job] = [j for j in handoff.jobs(topic="department.dispatch") if j.instance_id == inst.id]
    assert got.json["idempotency_key"] == job.idempotency_key == got.headers["Idempotency-Key"]
    assert got.json["case"]["applicant_name"] == "李四"
    assert got.json["reply"] == {"path": "/api/v1/messages", "name": "department_result", "business_key": "H-WH-1",
                                 "sender": "dept:hrss"}
    assert handoff.instance(inst.id).status == "running"  # waiting for the department's result

    forged = _post_result(live, "H-WH-1", "批准", secret="not-the-secret")
    assert forged.status_code == 401
    assert handoff.instance(inst.id).status == "running"

    body = json.dumps({"name": "department_result", "business_key": "H-WH-1",
                       "payload": {"decision": "批准临时救助", "approved": True}}).encode()
    headers = signed_headers("dept:hrss", DEPT_SECRET, body)
    r = live.call("POST", "/api/v1/messages", data=body, headers=headers)
    assert r.status_code == 202, r.text
    assert live.call("POST", "/api/v1/messages", data=body, headers=headers).status_code == 401  # replay

    run_over_http(live.base, token, handoff)
    assert handoff.instance(inst.id).status == "completed"
    with handoff.db.session() as s:
        [note] = s.scalars(sa.select(Notification).where(Notification.instance_id == inst.id)).all()
        [event] = s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == inst.id,
                                                        AuditEvent.command == "correlate_message")).all()
    assert "批准临时救助" in note.message
    assert event.actor == "dept:hrss"


def test_J_DISPATCH_a_department_may_answer_only_cases_dispatched_to_it(live, handoff, department):
    handoff.start("worker_handoff", {"department": "civil-affairs"}, "H-WH-3", "clerk", region=JIANGYIN)
    run_over_http(live.base, worker_token(handoff), handoff)  # dispatched to civil affairs, not to hrss
    r = _post_result(live, "H-WH-3", "批准")
    assert r.status_code == 403 and r.json()["details"]["business_key"] == "H-WH-3"
    r = live.call("POST", "/api/v1/messages", as_="centre",
                  json={"name": "department_result", "business_key": "H-WH-3", "payload": {"decision": "批准"}})
    assert r.status_code == 403  # nor may the centre answer for the department (issue 9, defect 1)
    r = live.call("POST", "/api/v1/messages", as_="dept-civil-affairs",
                  json={"name": "department_result", "business_key": "H-WH-3", "payload": {"decision": "批准"}})
    assert r.status_code == 202  # the department's own staff may enter its answer by hand


def test_J_DISPATCH_message_signed_by_an_unknown_sender_or_too_old_is_401(live, handoff, department):
    handoff.start("worker_handoff", {"department": "hrss"}, "H-WH-2", "clerk", region=JIANGYIN)
    body = json.dumps({"name": "department_result", "business_key": "H-WH-2", "payload": {}}).encode()
    unknown = signed_headers("dept:nobody", DEPT_SECRET, body)
    assert live.call("POST", "/api/v1/messages", data=body, headers=unknown).status_code == 401
    ts, mac = sign(DEPT_SECRET, body, int(dt.datetime.now(dt.UTC).timestamp()) - 360)
    old = {SENDER: "dept:hrss", TIMESTAMP: ts, SIGNATURE: mac, "Content-Type": "application/json"}
    r = live.call("POST", "/api/v1/messages", data=body, headers=old)
    assert r.status_code == 401 and "5 minutes" in r.json()["message"]


def test_X_WORKERS_handler_failing_three_times_is_an_incident_that_retry_completes(live, handoff, department,
                                                                                   cli_env):
    department.answers = [(503, {"error": "maintenance"})] * 3
    token = worker_token(handoff)
    inst = handoff.start("worker_handoff", {"department": "hrss"}, "H-INC-1", "clerk", region=JIANGYIN)
    for _attempt in range(3):
        [done] = run_over_http(live.base, token, handoff)
        assert "503" in done["error"], done
        handoff.advance_clock(dt.timedelta(hours=1))  # past the backoff
    [job] = [j for j in handoff.jobs(topic="department.dispatch") if j.instance_id == inst.id]
    assert job.state == "incident" and job.retries == 0 and job.error_details["status"] == 503
    assert run_over_http(live.base, token, handoff) == []  # an incident is not fetched

    r = live.call("GET", "/api/v1/incidents", as_="centre")
    assert [i["id"] for i in r.json()] == [job.id] and "503" in r.json()[0]["error"]
    listed = CliRunner().invoke(main, ["incidents", "list"])
    assert listed.exit_code == 0 and job.id in listed.output and "department.dispatch" in listed.output
    assert live.call("POST", f"/api/v1/incidents/{job.id}/retry", as_="window", json={}).status_code == 403

    retried = CliRunner().invoke(main, ["incidents", "retry", job.id])
    assert retried.exit_code == 0, retried.output
    again = CliRunner().invoke(main, ["incidents", "retry", job.id])
    assert again.exit_code == 1 and "not an incident" in again.output

    [done] = run_over_http(live.base, token, handoff)
    assert done["result"]["mode"] == "webhook"
    assert len(department.received) == 4
    assert len({r.headers["Idempotency-Key"] for r in department.received}) == 1
    with handoff.db.session() as s:
        assert s.scalar(sa.select(sa.func.count(Dispatch.id)).where(Dispatch.instance_id == inst.id)) == 1
        job = s.get(Job, job.id)
    assert job.state == "completed" and job.attempts == 4
    assert _post_result(live, "H-INC-1", "不予批准").status_code == 202
    run_over_http(live.base, token, handoff)
    assert handoff.instance(inst.id).status == "completed"


def test_X_WORKERS_incident_retry_through_the_api(live, handoff, department):
    token = worker_token(handoff)
    inst = handoff.start("worker_handoff", {"department": "hrss"}, "H-INC-2", "clerk", region=JIANGYIN)
    fetched = live.call("POST", "/api/v1/jobs/fetch-and-lock", headers={"Authorization": f"Bearer {token}"},
                            json={"worker_id": "w", "topics": [{"name": "department.dispatch"}]}).json()
    [job] = fetched
    r = live.call("POST", f"/api/v1/jobs/{job['id']}/fail", headers={"Authorization": f"Bearer {token}"},
                  json={"worker_id": "w", "error": "gave up", "retries": 0})
    assert r.status_code == 200 and r.json()["state"] == "incident"
    r = live.call("POST", f"/api/v1/incidents/{job['id']}/retry", as_="supervisor", json={"retries": 2})
    assert r.status_code == 200 and r.json()["state"] == "pending" and r.json()["retries"] == 2
    run_over_http(live.base, token, handoff)
    assert [j.state for j in handoff.jobs(topic="department.dispatch") if j.instance_id == inst.id] == ["completed"]
