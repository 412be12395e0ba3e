"""Where 一证申请 and 一键核对 read household and aid data (T-ID, T-DEDUP).

The default is the local tables, loaded with `relief data import`, read through the
job's records (engine/records.py; a worker process reads them over the API). With
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

from workers.context import HandlerContext
from workers.errors import HandlerFailed

TIMEOUT = (5, 30)


class DataSource(Protocol):
    def household(self, id_number: str) -> tuple[str, list[dict[str, Any]]] | None: ...

    def grants(self, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]: ...


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
        return None if r.status_code == 404 else household_from_json(r.json())

    def grants(self, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]:
        r = self._get("/grants", [("id_number", i) for i in id_numbers] + [("aid_type", t) for t in aid_types])
        return [] if r.status_code == 404 else [grant_from_json(g) for g in r.json()]


def household_from_json(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """A household as the data platform (or our API's job data endpoint) sends it."""
    return str(body["household_id"]), [
        {"id_number": str(m["id_number"]).upper(), "name": m.get("name", ""), "relation": m.get("relation", ""),
         "income_monthly": float(m.get("income_monthly") or 0), "assets": float(m.get("assets") or 0),
         "medical_insurance": m.get("medical_insurance"), "disability": m.get("disability")}
        for m in body.get("members", [])]


def grant_from_json(g: dict[str, Any]) -> dict[str, Any]:
    """A granted aid as JSON, with its dates as dates."""
    return {"id_number": str(g["id_number"]).upper(), "aid_type": g["aid_type"],
            "since": dt.date.fromisoformat(g["since"]),
            "until": dt.date.fromisoformat(g["until"]) if g.get("until") else None, "source": g.get("source", "")}


def source(ctx: HandlerContext) -> DataSource:
    """The configured data source: the county's platform, else the local tables through
    the job's records (the engine in-process, the API in a worker process)."""
    url = os.environ.get("RELIEF_DATA_PLATFORM_URL")
    return HttpPlatform(url, os.environ.get("RELIEF_DATA_PLATFORM_TOKEN")) if url else ctx.records
