"""The 12345 hotline channel (J-CH-12345): signed tickets, one case per ticket, status
pushed back to the platform with retries; forged or replayed signatures create nothing."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from engine.auth.signatures import SENDER, SIGNATURE, TIMESTAMP, sign, signed_headers, verify
from engine.store.models import Instance, Job
from engine.store.worker_models import HotlineTicket
from tests.workers.conftest import HOTLINE_SECRET, run_over_http, worker_token


def _ticket(ticket_id: str, callback: str | None = None) -> dict:
    out = {"ticket_id": ticket_id, "applicant_name": "王五", "applicant_id_number": "320281198001010025",
           "applicant_phone": "13912345678", "applicant_address": "江阴市澄江街道1号", "aid_types": ["temporary"],
           "reason": "因病致贫，来电申请临时救助"}
    if callback:
        out["callback_url"] = callback
    return out


def _post(live, body: bytes, headers: dict):
    return live.call("POST", "/api/v1/intake/hotline", data=body, headers=headers)


def _count(engine, model) -> int:
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def test_J_CH_12345_a_signed_ticket_is_one_case_however_often_it_arrives(live, scenario, hotline_secret):
    body = json.dumps(_ticket("T-0001")).encode()
    first = _post(live, body, signed_headers("12345", HOTLINE_SECRET, body))
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["created"] is True and receipt["business_key"] == "12345-T-0001"
    ts, mac = sign(HOTLINE_SECRET, body, int(first.request.headers[TIMESTAMP]) + 1)
    resent = {SENDER: "12345", TIMESTAMP: ts, SIGNATURE: mac, "Content-Type": "application/json"}
    again = _post(live, body, resent)  # the platform sends the ticket again, signed anew
    assert again.status_code == 200 and again.json()["instance_id"] == receipt["instance_id"]
    assert again.json()["created"] is False
    assert _count(scenario.engine, HotlineTicket) == 1
    data = scenario.engine.case_data(scenario.engine.instance(receipt["instance_id"]))
    assert data["channel"] == "hotline" and data["hotline_ticket"] == "T-0001"


def test_J_CH_12345_forged_or_replayed_signature_is_401_and_creates_nothing(live, scenario, hotline_secret):
    body = json.dumps(_ticket("T-0002")).encode()
    forged = signed_headers("12345", "guessed-secret", body)
    r = _post(live, body, forged)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    tampered = signed_headers("12345", HOTLINE_SECRET, body)
    r = _post(live, body.replace(b"T-0002", b"T-0009"), tampered)
    assert r.status_code == 401 and "does not match" in r.json()["message"]
    ts, mac = sign(HOTLINE_SECRET, body, int(dt.datetime.now(dt.UTC).timestamp()) - 301)
    r = _post(live, body, {SENDER: "12345", TIMESTAMP: ts, SIGNATURE: mac, "Content-Type": "application/json"})
    assert r.status_code == 401  # older than five minutes: a replay of a captured request
    r = _post(live, body, {"Content-Type": "application/json"})
    assert r.status_code == 401  # unsigned
    assert _count(scenario.engine, Instance) == 0 and _count(scenario.engine, HotlineTicket) == 0

    headers = signed_headers("12345", HOTLINE_SECRET, body)
    assert _post(live, body, headers).status_code == 201
    replay = _post(live, body, headers)  # the very same request again, within the window
    assert replay.status_code == 401 and "replay" in replay.json()["message"]
    assert _count(scenario.engine, Instance) == 1


def test_J_CH_12345_bad_ticket_names_the_field_and_creates_nothing(live, scenario, hotline_secret):
    ticket = _ticket("T-0003")
    del ticket["applicant_phone"]
    body = json.dumps(ticket).encode()
    r = _post(live, body, signed_headers("12345", HOTLINE_SECRET, body))
    assert r.status_code == 422 and "applicant_phone" in r.json()["details"]["fields"]
    assert _count(scenario.engine, Instance) == 0 and _count(scenario.engine, HotlineTicket) == 0


def test_J_CH_12345_status_updates_are_pushed_back_signed_and_retried(live, scenario, hotline_secret, outside):
    platform = outside("12345")
    platform.answers = [(503, {"error": "busy"})]
    engine = scenario.engine
    body = json.dumps(_ticket("T-0004", platform.url)).encode()
    receipt = _post(live, body, signed_headers("12345", HOTLINE_SECRET, body)).json()
    token = worker_token(engine, "hotline-pusher", ["hotline.status"])
    [failed] = run_over_http(live.base, token, engine, ["hotline.status"])
    assert "503" in failed["error"]
    engine.advance_clock(dt.timedelta(minutes=5))
    [pushed] = run_over_http(live.base, token, engine, ["hotline.status"])
    assert pushed["result"]["pushed"] is True
    assert len(platform.received) == 2
    got = platform.received[-1]
    verify(HOTLINE_SECRET, got.body, got.headers[TIMESTAMP], got.headers[SIGNATURE])
    assert got.json["ticket_id"] == "T-0004" and got.json["status"] == "received"
    assert got.headers["Idempotency-Key"] == platform.received[0].headers["Idempotency-Key"]
    with engine.db.session() as s:
        [job] = s.scalars(sa.select(Job).where(Job.case_id == receipt["instance_id"], Job.detached)).all()
    assert job.state == "completed" and job.instance_id is None
