"""The records the workers keep and show: the SMS outbox and its HTTP gateway (J-T2F),
notices pushed to 12345 for its cases (J-CH-12345), the electronic ledger with its CSV
export (W-LEDGER), and the data platform loaded with `relief data import` (T-ID)."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.cli import main
from api.demo import JIANGYIN
from engine import records
from engine.auth.signatures import signed_headers
from engine.store.models import HumanTask, Job
from engine.store.records import AidGrant, HouseholdMember, LedgerEntry
from tests.engine.helpers import mini_bundle
from tests.workers.conftest import HOTLINE_SECRET, run_over_http, worker_token
from workers.errors import HandlerFailed
from workers.runner import run_pending

_deployed: set[str] = set()


def _approve_mini(engine, instance_id: str) -> None:
    from engine.auth import Principal

    who = Principal("user-centre", ("dispatcher",), ("county-centre",), region=engine.instance(instance_id).region)
    with engine.db.session() as s:
        task_id = s.scalar(sa.select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.state == "open"))
    engine.claim(task_id, who)
    engine.complete(task_id, {"approved": "yes"}, who)


def _mini(engine) -> None:
    if engine.db.url not in _deployed:
        engine.deploy(mini_bundle(), "test")
        _deployed.add(engine.db.url)


def test_J_T2F_sms_gateway_gets_the_text_and_the_outbox_shows_it_sent(live, engine, outside, monkeypatch):
    gateway = outside("sms")
    monkeypatch.setenv("RELIEF_SMS_GATEWAY_URL", gateway.url)
    monkeypatch.setenv("RELIEF_SMS_GATEWAY_TOKEN", "gateway-token")
    _mini(engine)
    inst = engine.start("mini_case", {"applicant_phone": "13812345678", "applicant_name": "张三"}, "SMS-1", "c",
                        region=JIANGYIN)
    _approve_mini(engine, inst.id)
    [done] = run_pending(engine)
    [got] = gateway.received
    assert got.json["to"] == "13812345678" and "张三" in got.json["text"]
    assert got.headers["Authorization"] == "Bearer gateway-token"
    assert got.headers["Idempotency-Key"] == got.json["idempotency_key"]
    r = live.call("GET", f"/api/v1/outbox?instance={inst.id}", as_="window")
    assert r.status_code == 200
    [row] = r.json()
    assert row["status"] == "sent" and row["to"] != "13812345678" and row["to"].endswith("5678")
    assert live.call("GET", "/api/v1/outbox", as_="applicant").status_code == 403


def test_J_T2F_without_a_gateway_the_notice_waits_in_the_outbox(live, engine, monkeypatch):
    monkeypatch.delenv("RELIEF_SMS_GATEWAY_URL", raising=False)
    _mini(engine)
    inst = engine.start("mini_case", {"applicant_phone": "13812345678"}, "SMS-2", "c", region=JIANGYIN)
    _approve_mini(engine, inst.id)
    run_pending(engine)
    [row] = live.call("GET", "/api/v1/outbox?status=queued", as_="centre").json()
    assert row["instance_id"] == inst.id and row["template"] == "approved"


@pytest.mark.parametrize("over", ["in-process", "http"])
def test_J_CH_12345_each_notice_of_a_hotline_case_is_pushed_to_the_platform(live, engine, outside, monkeypatch,
                                                                             hotline_secret, over):
    token = worker_token(engine)

    def rounds() -> list[dict]:
        # Over HTTP (what a worker process does) the push is queued through the job's record endpoint.
        return run_over_http(live.base, token, engine) if over == "http" else run_pending(engine)

    platform = outside("12345")
    monkeypatch.setenv("RELIEF_HOTLINE_DEFINITION", "mini_case")
    _mini(engine)
    ticket = {"ticket_id": "T-MINI-1", "applicant_name": "王五", "applicant_id_number": "320281198001010025",
              "applicant_phone": "13912345678", "applicant_address": "澄江街道", "aid_types": ["temporary"],
              "reason": "来电", "callback_url": platform.url}
    body = json.dumps(ticket).encode()
    receipt = live.call("POST", "/api/v1/intake/hotline", data=body,
                        headers=signed_headers("12345", HOTLINE_SECRET, body)).json()
    _approve_mini(engine, receipt["instance_id"])
    rounds()
    assert [r.json["status"] for r in platform.received] == ["received", "approved"]
    assert "王五" in platform.received[1].json["message"]
    assert engine.instance(receipt["instance_id"]).status == "completed"
    rounds()  # a second round pushes nothing twice
    assert len(platform.received) == 2
    with engine.db.session() as s:
        states = s.scalars(sa.select(Job.state).where(Job.case_id == receipt["instance_id"])).all()
    assert states == ["completed", "completed"]


def test_W_LEDGER_entries_of_a_day_are_listed_and_exported_as_csv(live, engine):
    import datetime as dt

    now = engine.clock.now()
    _mini(engine)  # the entries' cases, in the county of the demo accounts (who see only its ledger)
    case = {key: engine.start("mini_case", {}, key, "clerk", region=JIANGYIN).id for key in ("JY-0", "JY-1", "JY-2",
                                                                                           "JY-X")}
    with engine.db.session() as s:
        for i, stage in enumerate(["acceptance", "review", "handling"]):
            s.add(LedgerEntry(instance_id=case[f"JY-{i}"], idempotency_key=f"k-{i}", business_key=f"JY-{i}",
                              stage=stage, summary="受理，材料齐全" if i == 0 else "", recorded_on=dt.date(2026, 11, 2),
                              recorded_at=now + dt.timedelta(minutes=i)))
        s.add(LedgerEntry(instance_id=case["JY-X"], idempotency_key="k-x", business_key="JY-X", stage="review",
                          summary="", recorded_on=dt.date(2026, 11, 3), recorded_at=now + dt.timedelta(days=1),
                          due_by=now, late=True))
    r = live.call("GET", "/api/v1/ledger?on=2026-11-02", as_="auditor")
    assert [e["stage"] for e in r.json()] == ["acceptance", "review", "handling"]
    r = live.call("GET", "/api/v1/ledger.csv?on=2026-11-02", as_="centre")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["id", "recorded_on", "recorded_at", "business_key", "instance_id", "stage", "summary",
                       "due_by", "late"]
    assert [row[5] for row in rows[1:]] == ["acceptance", "review", "handling"]
    assert rows[1][6] == "受理，材料齐全" and rows[1][7:] == ["", "no"]
    late = live.call("GET", "/api/v1/ledger.csv?late=true", as_="auditor")
    assert [row[3:] for row in csv.reader(io.StringIO(late.content.decode("utf-8-sig")))][1:] == [
        ["JY-X", case["JY-X"], "review", "", now.isoformat(), "yes"]]
    assert live.call("GET", "/api/v1/ledger?on=2026-13-01", as_="centre").status_code == 422


def test_T_ID_relief_data_import_loads_the_registry_and_granted_aid(cli_env, tmp_path):
    engine = cli_env
    registry = tmp_path / "registry.csv"
    registry.write_text("id_number,household_id,name,relation,income_monthly,assets,medical_insurance,disability\n"
                        "320281198001010025,HH-9,王五,户主,900,1000,城乡居民医保,\n"
                        "32028120050101002x,HH-9,王小五,子女,0,0,城乡居民医保,\n", "utf-8")
    grants = tmp_path / "grants.csv"
    grants.write_text("id_number,aid_type,since,until,source\n320281198001010025,dibao,2025-01-01,,民政\n", "utf-8")
    r = CliRunner().invoke(main, ["data", "import", str(registry), str(grants)])
    assert r.exit_code == 0, r.output
    assert "2 registry row(s)" in r.output and "1 grants row(s)" in r.output
    with engine.db.session() as s:
        assert records.household(s, "32028120050101002x")[0] == "HH-9"
        [grant] = s.scalars(sa.select(AidGrant)).all()
    assert grant.aid_type == "dibao" and grant.until is None

    _mini(engine)
    inst = engine.start("mini_case", {}, "TID-1", "clerk")
    engine.queue_job(inst.id, "household.fetch", {"id_number": "320281198001010025"}, "TID-1:household", "test")
    [done] = run_pending(engine, topics=["household.fetch"])
    assert done["result"]["found"] and done["result"]["household"]["size"] == 2
    from engine.store.models import AccessLog

    with engine.db.session() as s:  # J-SEC: the worker's read of personal data is logged
        [seen] = s.scalars(sa.select(AccessLog).where(AccessLog.instance_id == inst.id)).all()
    assert seen.actor.startswith("worker:") and seen.resource.endswith(":registry")


def test_T_ID_a_bad_csv_line_is_named_and_nothing_is_imported(cli_env, tmp_path):
    engine = cli_env
    bad = tmp_path / "registry.csv"
    bad.write_text("id_number,household_id,name,relation,income_monthly\n"
                   "320281198001010025,HH-9,王五,户主,900\n"
                   "12345,HH-9,王小五,子女,lots\n", "utf-8")
    r = CliRunner().invoke(main, ["data", "import", str(bad)])
    assert r.exit_code == 1
    assert "line 3" in r.output and "id_number" in r.output and "income_monthly" in r.output
    with engine.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(HouseholdMember)) == 0


def test_T_DEDUP_the_county_data_platform_can_be_asked_over_http_instead(engine, outside, monkeypatch):
    from workers.context import HandlerContext, JobView
    from workers.data_platform import check_duplicates, fetch_household
    from workers.records import EngineRecords

    platform = outside("platform")
    monkeypatch.setenv("RELIEF_DATA_PLATFORM_URL", platform.url)
    monkeypatch.setenv("RELIEF_DATA_PLATFORM_TOKEN", "platform-token")
    household = {"household_id": "HH-P1", "members": [
        {"id_number": "320281198001010025", "name": "王五", "relation": "户主", "income_monthly": 600, "assets": 0},
        {"id_number": "32028120050101002X", "name": "王小五", "relation": "子女", "income_monthly": 0, "assets": 0}]}
    grants = [{"id_number": "32028120050101002X", "aid_type": "dibao", "since": "2025-01-01", "until": None,
               "source": "民政"}]
    platform.answers = [(200, household), (200, household), (200, grants)]
    # The local tables are never asked when the platform is configured.
    ctx = HandlerContext(EngineRecords(engine, "j", "w"), engine.clock.now())
    params = {"id_number": "320281198001010025", "aid_types": ["dibao"]}
    found = fetch_household(JobView("j", "household.fetch", "i", params, {}, "k"), ctx)
    assert found["household"]["size"] == 2 and found["household"]["income_per_capita"] == 300
    dedup = check_duplicates(JobView("j", "aid.dedup", "i", params, {}, "k"), ctx)
    assert not dedup["clear"] and dedup["duplicates"][0]["aid_type"] == "dibao"
    assert dedup["duplicates"][0]["id_number"] != "32028120050101002X"  # masked
    assert platform.received[0].path.endswith("/households?id_number=320281198001010025")
    assert "aid_type=dibao" in platform.received[2].path
    assert platform.received[0].headers["Authorization"] == "Bearer platform-token"
    platform.answers = [(503, {})]
    with pytest.raises(HandlerFailed, match="503"):
        fetch_household(JobView("j", "household.fetch", "i", params, {}, "k"), ctx)
