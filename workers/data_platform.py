"""一证申请 and 一键核对 over the local data platform tables (T-ID, T-VERIFY, T-DEDUP).

The default source is the local registry tables (loaded by `relief data import`);
a county can point these handlers at its big-data platform instead."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.calendar import SHANGHAI
from engine.forms.validators import mask_id_number
from engine.store.records import AidGrant, HouseholdMember
from workers.context import HandlerContext, JobView

STANDARDS_FILE = Path(__file__).with_name("standards.json")


@cache
def standards() -> dict[str, float]:
    return {k: v for k, v in json.loads(STANDARDS_FILE.read_text("utf-8")).items() if not k.startswith("_")}


def _household(s: Session, id_number: str) -> dict[str, Any] | None:
    me = s.get(HouseholdMember, id_number)
    if me is None:
        return None
    members = s.scalars(sa.select(HouseholdMember).where(HouseholdMember.household_id == me.household_id)
                        .order_by(HouseholdMember.id_number)).all()
    income = sum(m.income_monthly for m in members)
    assets = sum(m.assets for m in members)
    return {
        "household_id": me.household_id,
        "members": [{"name": m.name, "id_number": m.id_number, "relation": m.relation,
                     "income_monthly": m.income_monthly, "disability": m.disability,
                     "medical_insurance": m.medical_insurance} for m in members],
        "size": len(members),
        "income_monthly": round(income, 2),
        "income_per_capita": round(income / len(members), 2),
        "assets": round(assets, 2),
        "medical_insurance": me.medical_insurance,
    }


def fetch_household(job: JobView, ctx: HandlerContext) -> dict[str, Any]:
    """T-ID: household members, income, assets and insurance from the ID number alone."""
    id_number = str(job.params.get("id_number") or "").upper()
    household = ctx.read(lambda s: _household(s, id_number))
    return {"found": household is not None, "household": household or {}}


def verify_eligibility(job: JobView, ctx: HandlerContext) -> dict[str, Any]:
    """T-VERIFY: compare the household with the local standards; a report per aid type."""
    household = job.params.get("household") or {}
    aid_types = list(job.params.get("aid_types") or [])
    std = standards()
    per_capita = float(household.get("income_per_capita") or 0)
    size = max(int(household.get("size") or 1), 1)
    assets_ok = float(household.get("assets") or 0) / size <= std["assets_per_capita_limit"]
    limits = {"dibao": std["dibao_income_per_capita"], "tekun": std["tekun_income_per_capita"],
              "temporary": std["temporary_income_per_capita"]}
    checks = {}
    for aid in aid_types:
        limit = limits.get(aid, std["low_income_per_capita"])
        checks[aid] = {"income_limit": limit, "income_ok": per_capita <= limit, "assets_ok": assets_ok,
                       "eligible": per_capita <= limit and assets_ok}
    eligible = bool(checks) and any(c["eligible"] for c in checks.values())
    report = {"standards_year": std["year"], "income_per_capita": per_capita, "household_size": size,
              "assets_per_capita_limit": std["assets_per_capita_limit"], "assets_ok": assets_ok,
              "checks": checks, "made_on": ctx.now.astimezone(SHANGHAI).date().isoformat()}
    return {"eligible": eligible, "report": report}


def check_duplicates(job: JobView, ctx: HandlerContext) -> dict[str, Any]:
    """T-DEDUP: aid of the requested types already granted to anyone in the household."""
    id_number = str(job.params.get("id_number") or "").upper()
    aid_types = list(job.params.get("aid_types") or [])
    today = ctx.now.astimezone(SHANGHAI).date()

    def query(s: Session) -> list[dict[str, Any]]:
        household = _household(s, id_number)
        ids = [m["id_number"] for m in household["members"]] if household else [id_number]
        rows = s.scalars(sa.select(AidGrant).where(AidGrant.id_number.in_(ids), AidGrant.aid_type.in_(aid_types))
                         .order_by(AidGrant.id)).all()
        return [{"id_number": mask_id_number(r.id_number), "aid_type": r.aid_type, "since": r.since.isoformat(),
                 "source": r.source} for r in rows if r.until is None or r.until >= today]

    duplicates = ctx.read(query)
    return {"clear": not duplicates, "duplicates": duplicates, "checked_on": dt.date.isoformat(today)}
