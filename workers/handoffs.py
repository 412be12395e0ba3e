"""Department dispatch (派单), referral (转介) and the electronic ledger (电子台账)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from engine.calendar import SHANGHAI
from engine.store.records import Dispatch, LedgerEntry
from workers.context import HandlerContext, JobView

DEPARTMENTS_FILE = Path(__file__).with_name("departments.json")


@cache
def departments() -> dict[str, dict[str, str]]:
    """Department code → {name, mode}, from departments.json."""
    return {k: v for k, v in json.loads(DEPARTMENTS_FILE.read_text("utf-8")).items() if not k.startswith("_")}


def dispatch_to_department(job: JobView, ctx: HandlerContext) -> dict[str, Any]:
    """J-DISPATCH / W-ROUTE: record the dispatch; worklist departments work in our task list."""
    code = str(job.params.get("department") or "")
    if code not in departments():
        raise ValueError(f"unknown department '{code}' (configured: {', '.join(sorted(departments()))})")
    dept = departments()[code]
    row = ctx.once(Dispatch, job.idempotency_key, lambda s: Dispatch(
        instance_id=job.instance_id, idempotency_key=job.idempotency_key, kind="department", target=code,
        mode=dept["mode"], payload={"aid_type": job.params.get("aid_type")}, created_at=ctx.now))
    return {"dispatch_id": row.id, "department": code, "department_name": dept["name"], "mode": row.mode}


def refer(job: JobView, ctx: HandlerContext) -> dict[str, Any]:
    """J-REFER / T-SOCIAL: refer the case to a charity or social organisation."""
    organisation = str(job.params.get("organisation") or "").strip()
    if not organisation:
        raise ValueError("referral needs an organisation")
    row = ctx.once(Dispatch, job.idempotency_key, lambda s: Dispatch(
        instance_id=job.instance_id, idempotency_key=job.idempotency_key, kind="referral", target=organisation,
        mode="worklist", payload={"reason": job.params.get("reason")}, created_at=ctx.now))
    return {"referral_id": row.id, "organisation": organisation}


def record_ledger(job: JobView, ctx: HandlerContext) -> dict[str, Any]:
    """W-LEDGER: a ledger line dated the working day it is made."""
    stage = str(job.params.get("stage") or "").strip()
    if not stage:
        raise ValueError("ledger entry needs a stage")
    row = ctx.once(LedgerEntry, job.idempotency_key, lambda s: LedgerEntry(
        instance_id=job.instance_id, idempotency_key=job.idempotency_key,
        business_key=job.business_key, stage=stage, summary=str(job.params.get("summary") or ""),
        recorded_on=ctx.now.astimezone(SHANGHAI).date(), recorded_at=ctx.now))
    return {"entry_id": row.id, "stage": stage, "recorded_on": row.recorded_on.isoformat()}
