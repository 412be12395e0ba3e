"""Where 一证申请 and 一键核对 read household and aid data (T-ID, T-DEDUP).

The default is the local tables, loaded with `relief data import`. With
RELIEF_DATA_PLATFORM_URL set, the county's data platform is asked over HTTP instead
(optional bearer RELIEF_DATA_PLATFORM_TOKEN):
  GET {url}/households?id_number=X → {household_id, members: [{id_number, name, relation,
      income_monthly, assets, medical_insurance, disability}]}, 404 when unknown;
  GET {url}/grants?id_number=A&id_number=B&aid_type=T → [{id_number, aid_type, since,
      until, source}]."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Protocol

import requests
import sqlalchemy as sa

from engine.store.records import AidGrant, HouseholdMember
from workers.context import HandlerContext
from workers.errors import HandlerFailed

TIMEOUT = (5, 30)


class DataSource(Protocol):
    def household(self, id_number: str) -> tuple[str, list[dict[str, Any]]] | None: ...

    def grants(self, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]: ...


class LocalTables:
    """The registry_members and aid_grants tables of our own database."""

    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx

    def household(self, id_number: str) -> tuple[str, list[dict[str, Any]]] | None:
        def query(s: sa.orm.Session) -> tuple[str, list[dict[str, Any]]] | None:
            me = s.get(HouseholdMember, id_number)
            if me is None:
                return None
            rows = s.scalars(sa.select(HouseholdMember).where(HouseholdMember.household_id == me.household_id)
                             .order_by(HouseholdMember.id_number)).all()
            return me.household_id, [{"id_number": m.id_number, "name": m.name, "relation": m.relation,
                                      "income_monthly": m.income_monthly, "assets": m.assets,
                                      "medical_insurance": m.medical_insurance, "disability": m.disability}
                                     for m in rows]
        return self.ctx.read(query)

    def grants(self, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]:
        def query(s: sa.orm.Session) -> list[dict[str, Any]]:
            rows = s.scalars(sa.select(AidGrant).where(AidGrant.id_number.in_(id_numbers),
                                                       AidGrant.aid_type.in_(aid_types)).order_by(AidGrant.id)).all()
            return [{"id_number": r.id_number, "aid_type": r.aid_type, "since": r.since, "until": r.until,
                     "source": r.source} for r in rows]
        return self.ctx.read(query)


class HttpPlatform:
    """The county's data platform over HTTP (JSON)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _get(self, path: str, params: list[tuple[str, str]]) -> requests.Response:
        try:
            r = requests.get(f"{self.url}{path}", params=params, headers=self.headers, timeout=TIMEOUT)
        except requests.RequestException as err:
            raise HandlerFailed(f"the data platform did not answer: {err}", {"url": self.url}) from err
        if r.status_code != 404 and not 200 <= r.status_code < 300:
            raise HandlerFailed(f"the data platform answered {r.status_code}",
                                {"url": f"{self.url}{path}", "status": r.status_code, "body": r.text[:500]})
        return r

    def household(self, id_number: str) -> tuple[str, list[dict[str, Any]]] | None:
        r = self._get("/households", [("id_number", id_number)])
        if r.status_code == 404:
            return None
        body = r.json()
        return str(body["household_id"]), [
            {"id_number": str(m["id_number"]).upper(), "name": m.get("name", ""), "relation": m.get("relation", ""),
             "income_monthly": float(m.get("income_monthly") or 0), "assets": float(m.get("assets") or 0),
             "medical_insurance": m.get("medical_insurance"), "disability": m.get("disability")}
            for m in body.get("members", [])]

    def grants(self, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]:
        r = self._get("/grants", [("id_number", i) for i in id_numbers] + [("aid_type", t) for t in aid_types])
        if r.status_code == 404:
            return []
        return [{"id_number": str(g["id_number"]).upper(), "aid_type": g["aid_type"],
                 "since": dt.date.fromisoformat(g["since"]),
                 "until": dt.date.fromisoformat(g["until"]) if g.get("until") else None,
                 "source": g.get("source", "")} for g in r.json()]


def source(ctx: HandlerContext) -> DataSource:
    """The configured data source."""
    url = os.environ.get("RELIEF_DATA_PLATFORM_URL")
    return HttpPlatform(url, os.environ.get("RELIEF_DATA_PLATFORM_TOKEN")) if url else LocalTables(ctx)
