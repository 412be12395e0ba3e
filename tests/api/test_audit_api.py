"""X-AUDIT: the auditor's and supervisor's API over the seals of the global chain and the
nightly verification runs: read-only, region-scoped, in the OpenAPI document."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD, YIXING
from engine.audit.log import _EVENTS
from engine.auth import create_user
from engine.store.models import User
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.engine.test_audit_replay import jiangyin_case


def _yixing_auditor(engine) -> None:
    with engine.db.session() as s:  # users outlive a test's truncation
        if s.scalar(sa.select(User.username).where(User.username == "auditor-yx-api")) is None:
            create_user(s, "auditor-yx-api", DEMO_PASSWORD, ["auditor"], [], None, YIXING, "宜兴市审计 测试")


@pytest.mark.state_written  # the test tampers with the case's history on purpose
def test_X_AUDIT_api_lists_and_checks_seals_and_names_a_case_cut_short_in_scope(scenario, live):  # noqa: F811
    engine = scenario.engine
    _yixing_auditor(engine)
    case = jiangyin_case(scenario, "JY-API-SEAL")
    assert live.call("GET", "/api/v1/audit/seals", as_="auditor").json() == {"total": 0, "seals": []}
    engine.seal_audit("nightly")
    listed = live.call("GET", "/api/v1/audit/seals", as_="supervisor")
    assert listed.status_code == 200
    [seal] = listed.json()["seals"]
    assert seal["seq"] == 1 and seal["cases"] >= 1 and len(seal["hash"]) == 64 and "heads" not in seal
    assert case.id not in listed.text  # the heads name every region's cases: left out
    fine = live.call("GET", "/api/v1/audit/seals/verification", as_="auditor").json()
    assert fine == {"ok": True, "seals": 1, "problems": []}
    with engine.db.session() as s:  # the newest event cut off after the seal
        last = s.scalar(sa.select(sa.func.max(_EVENTS.c.seq)).where(_EVENTS.c.instance_id == case.id))
        s.execute(_EVENTS.delete().where(_EVENTS.c.instance_id == case.id, _EVENTS.c.seq == last))
    found = live.call("GET", "/api/v1/audit/seals/verification", as_="auditor").json()
    assert not found["ok"]
    [problem] = found["problems"]
    assert problem["instance_id"] == case.id and f"events {last}-{last} were cut off" in problem["line"]
    other = live.call("GET", "/api/v1/audit/seals/verification", as_="auditor-yx-api").json()
    assert other["problems"] == [] and case.id not in str(other)
    bad = live.call("GET", "/api/v1/audit/seals?limit=0", as_="auditor")
    assert bad.status_code == 422 and "limit" in bad.text
    assert live.call("GET", "/api/v1/audit/seals", as_="window").status_code == 403
    assert live.call("POST", "/api/v1/audit/seals", as_="auditor", json={}).status_code == 405  # read-only


@pytest.mark.state_written  # the test tampers with the case's history on purpose
def test_X_AUDIT_api_lists_nightly_runs_and_shows_a_runs_failures_in_scope(scenario, live):  # noqa: F811
    engine = scenario.engine
    _yixing_auditor(engine)
    case = jiangyin_case(scenario, "JY-API-RUN")
    with engine.db.session() as s:
        s.execute(_EVENTS.update().where(_EVENTS.c.instance_id == case.id, _EVENTS.c.seq == 2)
                  .values(actor="someone-else"))
    run = engine.nightly_audit("nightly")
    listed = live.call("GET", "/api/v1/audit/runs", as_="supervisor")
    assert listed.status_code == 200 and listed.json()["total"] == 1
    [row] = listed.json()["runs"]
    assert row["id"] == run.id and row["failed"] == 1 and row["checked"] >= 1 and "failures" not in row
    detail = live.call("GET", f"/api/v1/audit/runs/{run.id}", as_="auditor").json()
    [failure] = detail["failures"]
    assert failure["instance_id"] == case.id and "hash chain broken at step 2" in failure["line"]
    other = live.call("GET", f"/api/v1/audit/runs/{run.id}", as_="auditor-yx-api")
    assert other.status_code == 200 and other.json()["failures"] == [] and case.id not in other.text
    missing = live.call("GET", "/api/v1/audit/runs/999999", as_="auditor")
    assert missing.status_code == 404 and missing.json()["details"] == {"run": "999999"}
    assert live.call("GET", "/api/v1/audit/runs/abc", as_="auditor").status_code == 404
    assert live.call("GET", f"/api/v1/audit/runs/{run.id}", as_="window").status_code == 403


def test_X_AUDIT_seal_and_run_routes_are_in_the_openapi_document(live):  # noqa: F811
    spec = live.call("GET", "/api/v1/openapi.json").json()
    for path in ("/api/v1/audit/seals", "/api/v1/audit/seals/verification", "/api/v1/audit/runs",
                 "/api/v1/audit/runs/{run_id}"):
        assert set(spec["paths"][path]) - {"parameters"} == {"get"}, path
    schemas = spec["components"]["schemas"]
    assert {"SealPage", "SealCheckOut", "RunPage", "RunDetailOut"} <= set(schemas)
