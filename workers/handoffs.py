"""Department dispatch (派单), referral (转介) and the electronic ledger (电子台账)."""

from __future__ import annotations

import json
from typing import Any

from workers.context import Completion, HandlerContext, JobView, keep_on_completion
from workers.departments import department_secret, departments
from workers.errors import BpmnError, HandlerFailed
from workers.outbound import post_json

RESULT_MESSAGE = "department_result"
# A department system answering 409/422 refuses the case (wrong department, not its
# matter): a BPMN error the diagram can catch. Other failures are retried.
REFUSED_CODE = "DEPT_REFUSED"
REFUSED_STATUSES = (409, 422)


def dispatch_to_department(job: JobView, ctx: HandlerContext) -> dict[str, Any] | Completion:
    """J-DISPATCH / W-ROUTE: record the dispatch; worklist departments work in our task list."""
    code = str(job.params.get("department") or "")
    if code not in departments():
        raise ValueError(f"unknown department '{code}' (configured: {', '.join(sorted(departments()))})")
    dept = departments()[code]
    fields = {"kind": "department", "target": code, "mode": dept["mode"],
              "payload": {"aid_type": job.params.get("aid_type")}}
    out = {"department": code, "department_name": dept["name"], "mode": dept["mode"]}
    if dept["mode"] != "webhook":  # nothing outside needs the record first: kept with the completion
        return keep_on_completion(out, "dispatch", fields, dispatch_id="id")
    # The department's system gets the dispatch's id: the record is kept (committed) before the POST.
    row = ctx.records.keep("dispatch", fields)
    out.update(dispatch_id=row["id"], receipt=_post_to_department(code, dept, job, row["id"]),
               # The department's own limit, if configured; the diagram supplies the default (W-SUPERVISE).
               handling_days=dept.get("handling_days"))
    return out


def _post_to_department(code: str, dept: dict[str, Any], job: JobView, dispatch_id: int) -> dict[str, Any]:
    """The signed case to the department's system; it answers later with the message
    `department_result` for the case's business key (POST /api/v1/messages, signed)."""
    if not job.business_key:
        raise ValueError(f"a case dispatched to webhook department '{code}' needs a business key to be answered")
    secret = department_secret(code)
    if not secret:
        raise ValueError(f"department '{code}' is a webhook department but ${dept['secret_env']} is not set")
    body = {"dispatch_id": dispatch_id, "idempotency_key": job.idempotency_key, "department": code,
            "instance_id": job.instance_id, "business_key": job.business_key, "params": job.params,
            "case": job.case,
            "reply": {"path": "/api/v1/messages", "name": RESULT_MESSAGE, "business_key": job.business_key,
                      "sender": f"dept:{code}"}}
    try:
        return post_json(dept["url"], body, job.idempotency_key, sender="relief", secret=secret)
    except HandlerFailed as err:
        status = err.details.get("status")
        if status in REFUSED_STATUSES:  # the department's answer, not an outage: the diagram decides
            raise BpmnError(REFUSED_CODE, f"{dept['name']}：{_refusal_reason(err.details.get('body'))}",
                            {"department": code, "status": status}) from err
        raise


def _refusal_reason(body: object) -> str:
    """The department system's own words: `reason` or `message` of a JSON answer, else the text."""
    text = str(body or "").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        return text[:300] or "未说明理由"
    if isinstance(answer, dict) and (answer.get("reason") or answer.get("message")):
        return str(answer.get("reason") or answer.get("message"))[:300]
    return text[:300] or "未说明理由"


def refer(job: JobView, ctx: HandlerContext) -> Completion:
    """J-REFER / T-SOCIAL: refer the case to a charity or social organisation (the referral
    is kept with the job's completion)."""
    organisation = str(job.params.get("organisation") or "").strip()
    if not organisation:
        raise ValueError("referral needs an organisation")
    return keep_on_completion({"organisation": organisation}, "dispatch",
                              {"kind": "referral", "target": organisation, "mode": "worklist",
                               "payload": {"reason": job.params.get("reason")}}, referral_id="id")


def record_ledger(job: JobView, ctx: HandlerContext) -> Completion:
    """W-LEDGER: a ledger line dated the working day it is made, kept with the job's completion."""
    stage = str(job.params.get("stage") or "").strip()
    if not stage:
        raise ValueError("ledger entry needs a stage")
    # Dated by the engine's clock in Beijing time, the day it is kept (engine/records.py).
    return keep_on_completion({"stage": stage}, "ledger",
                              {"stage": stage, "summary": str(job.params.get("summary") or "")},
                              entry_id="id", recorded_on="recorded_on", due_by="due_by", late="late")
