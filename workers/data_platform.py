"""一证申请 and 一键核对 (T-ID, T-VERIFY, T-DEDUP) over the configured data source
(workers/data_sources.py): the local registry tables loaded by `relief data import`
by default, or the county's data platform over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from engine.calendar import SHANGHAI
from engine.forms.validators import mask_id_number
from workers.context import HandlerContext, JobView
from workers.data_sources import DataSource, source

STANDARDS_FILE = Path(__file__).with_name("standards.json")


@cache
def standards() -> dict[str, float]:
    return {k: v for k, v in json.loads(STANDARDS_FILE.read_text("utf-8")).items() if not k.startswith("_")}


def _household(data: DataSource, id_number: str) -> dict[str, Any] | None:
    found = data.household(id_number)
    if found is None:
        return None
    household_id, members = found
    me = next((m for m in members if m["id_number"] == id_number), members[0] if members else None)
    if me is None:
        return None
    income = sum(m["income_monthly"] for m in members)
    assets = sum(m["assets"] for m in members)
    return {
        "household_id": household_id,
        "members": [{"name": m["name"], "id_number": m["id_number"], "relation": m["relation"],
                     "income_monthly": m["income_monthly"], "disability": m["disability"],
                     "medical_insurance": m["medical_insurance"]} for m in members],
        "size": len(members),
        "income_monthly": round(income, 2),
        "income_per_capita": round(income / len(members), 2),
        "assets": round(assets, 2),
        "medical_insurance": me["medical_insurance"],
    }


def fetch_household(job: JobView, ctx: HandlerContext) -> dict[str, Any]:
    """T-ID: household members, income, assets and insurance from the ID number alone."""
    id_number = str(job.params.get("id_number") or "").upper()
    household = _household(source(ctx), id_number)
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
    data = source(ctx)
    household = _household(data, id_number)
    ids = [m["id_number"] for m in household["members"]] if household else [id_number]
    duplicates = [{"id_number": mask_id_number(g["id_number"]), "aid_type": g["aid_type"],
                   "since": g["since"].isoformat(), "source": g["source"]}
                  for g in data.grants(ids, aid_types) if g["until"] is None or g["until"] >= today]
    return {"clear": not duplicates, "duplicates": duplicates, "checked_on": dt.date.isoformat(today)}
