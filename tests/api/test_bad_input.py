"""Bad input never gives a 500 (issue 9, defect 7): each case is a 4xx naming the field,
and nothing is stored. On SQLite and PostgreSQL, over real HTTP.

The rules live in one place each (api/inputs.py): a guard before any parser for JSON
depth and path parameters, and the base schema for strings, integers and free-form JSON."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from api.inputs import INT_MAX, MAX_JSON_DEPTH
from engine.store.models import AuditEvent, Instance
from tests.api.test_api import _deploy_mini

LIST_ENDPOINTS = ["/api/v1/instances", "/api/v1/tasks", "/api/v1/incidents", "/api/v1/incidents/timers",
                  "/api/v1/outbox", "/api/v1/ledger", "/api/v1/ledger.csv"]
JSON = {"Content-Type": "application/json"}


def _stored(engine) -> tuple[int, int]:
    with engine.db.reading() as s:
        return (s.scalar(sa.select(sa.func.count()).select_from(Instance)),
                s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))


def _raw(live, method, path, body: str, as_=None):
    return live.call(method, path, as_=as_, data=body.encode("utf-8", "surrogatepass"), headers=dict(JSON))


def test_issue9_defect7_offset_beyond_a_database_integer_is_422_naming_offset(live):
    for path in LIST_ENDPOINTS:
        for offset in (2**63, 2**31, -1):
            r = live.call("GET", f"{path}?offset={offset}", as_="admin")
            assert r.status_code == 422, (path, offset, r.text)
            assert list(r.json()["details"]["fields"]) == ["offset"]
        assert live.call("GET", f"{path}?offset={INT_MAX}", as_="admin").status_code == 200


def test_issue9_defect7_json_100000_deep_is_400_on_every_endpoint_even_without_a_token(live, engine):
    deep = "[" * 100_000 + "]" * 100_000
    before = _stored(engine)
    routes = [(r.rule, m) for r in live.app.url_map.iter_rules() if r.endpoint != "static"
              for m in sorted(r.methods - {"HEAD", "OPTIONS"})]
    assert len(routes) >= 40
    for rule, method in routes:
        path = rule.replace("<", "").replace(">", "")
        for who in (None, "admin"):
            r = _raw(live, method, path, deep, as_=who)
            assert r.status_code == 400, (method, path, who, r.status_code, r.text)
            if path.startswith("/api/"):  # pages answer with the error page of the staff app
                assert r.json()["error"] == "bad_request" and "body" in r.json()["details"]
    assert _stored(engine) == before


def test_issue9_defect7_json_at_the_depth_limit_is_read_one_deeper_is_not(live):
    def nested(depth: int) -> dict:
        value: object = "x"
        for _ in range(depth - 1):
            value = [value]
        return {"username": "window", "password": "demo-pass-2026", "extra": value}

    ok = live.call("POST", "/api/v1/auth/token", json=nested(MAX_JSON_DEPTH))
    assert ok.status_code == 422 and "extra" in ok.json()["details"]["fields"]  # read, then an unknown field
    deep = live.call("POST", "/api/v1/auth/token", json=nested(MAX_JSON_DEPTH + 1))
    assert deep.status_code == 400


BAD_TEXT = {"lone surrogate": "\ud800", "NUL": "a\u0000b"}


@pytest.mark.parametrize("body, field", [
    ({"definition": "mini_case", "business_key": "{bad}"}, "business_key"),
    ({"definition": "{bad}"}, "definition"),
    ({"definition": "mini_case", "data": {"applicant_name": "{bad}"}}, "data"),
    ({"definition": "mini_case", "data": {"{bad}": "x"}}, "data"),
    ({"definition": "mini_case", "data": {"members": [{"name": "{bad}"}]}}, "data"),
    ({"definition": "mini_case", "region": "{bad}"}, "region"),
])
def test_issue9_defect7_text_no_database_stores_is_422_naming_the_field(live, engine, body, field):
    _deploy_mini(live)
    before = _stored(engine)
    for bad in BAD_TEXT.values():
        text = json.dumps(body).replace("{bad}", json.dumps(bad)[1:-1])
        r = _raw(live, "POST", "/api/v1/instances", text, as_="window")
        assert r.status_code == 422, (bad, r.text)
        assert list(r.json()["details"]["fields"]) == [field]
    assert _stored(engine) == before


@pytest.mark.parametrize("method, path, body, field", [
    ("POST", "/api/v1/messages", {"name": "x", "business_key": "{bad}"}, "business_key"),
    ("POST", "/api/v1/messages", {"name": "x", "business_key": "k", "payload": {"a": ["{bad}"]}}, "payload"),
    ("PUT", "/api/v1/calendar/days/2026-11-05", {"kind": "holiday", "note": "{bad}"}, "note"),
    ("POST", "/api/v1/admin/clock/advance", {"by": "{bad}"}, "by"),
    ("POST", "/api/v1/auth/token", {"username": "{bad}", "password": "x"}, "username"),
])
def test_issue9_defect7_every_string_field_refuses_unstorable_text(live, method, path, body, field):
    text = json.dumps(body).replace("{bad}", "\\ud800")
    r = _raw(live, method, path, text, as_="admin")
    assert r.status_code == 422, r.text
    assert list(r.json()["details"]["fields"]) == [field]


def test_issue9_defect7_nan_and_infinity_in_case_data_are_422(live, engine):
    _deploy_mini(live)
    before = _stored(engine)
    for value in ("NaN", "Infinity", "-Infinity", "1e999"):
        r = _raw(live, "POST", "/api/v1/instances", '{"definition": "mini_case", "data": {"x": ' + value + '}}',
                 as_="window")
        assert r.status_code == 422 and list(r.json()["details"]["fields"]) == ["data"], (value, r.text)
    assert _stored(engine) == before


def test_issue9_defect7_nul_in_a_query_string_is_422_naming_the_parameter(live):
    for path, param in [("/api/v1/instances?business_key=a%00b", "business_key"),
                        ("/api/v1/tasks?instance=a%00b", "instance"), ("/api/v1/ledger?stage=a%00b", "stage"),
                        ("/api/v1/outbox?instance=%00", "instance")]:
        r = live.call("GET", path, as_="admin")
        assert r.status_code == 422, (path, r.text)
        assert list(r.json()["details"]["fields"]) == [param]


def test_issue9_defect7_nul_in_a_path_is_422_naming_the_parameter(live):
    for method, path, param in [("GET", "/api/v1/instances/a%00b", "instance_id"),
                                ("GET", "/api/v1/instances/a%00b/history", "instance_id"),
                                ("GET", "/api/v1/tasks/a%00b", "task_id"),
                                ("POST", "/api/v1/tasks/a%00b/claim", "task_id"),
                                ("POST", "/api/v1/incidents/timers/a%00b/retry", "timer_id")]:
        r = live.call(method, path, as_="admin")
        assert r.status_code == 422, (path, r.text)
        assert list(r.json()["details"]["fields"]) == [param]


def test_issue9_defect7_add_working_days_past_year_9999_is_422(live):
    for start, n in [("9999-12-30", 5), ("9999-12-31T23:00:00-10:00", 0), ("2026-11-02", 3661)]:
        r = live.call("GET", "/api/v1/calendar/add-working-days", as_="admin", params={"start": start, "n": n})
        assert r.status_code == 422, (start, n, r.text)
        assert set(r.json()["details"]["fields"]) & {"start", "n"}
    ok = live.call("GET", "/api/v1/calendar/add-working-days", as_="admin", params={"start": "9999-12-01", "n": 5})
    assert ok.status_code == 200 and ok.json()["date"] == "9999-12-08"


def test_issue9_defect7_nul_in_a_header_is_400_naming_it(live):
    import socket
    from urllib.parse import urlparse

    url = urlparse(live.base)
    for path, header in ((b"/api/v1/jobs/x/complete", b"Authorization: Bearer rw_ab\x00c.def"),
                         (b"/api/v1/messages", b"Authorization: Bearer a\x00b"),
                         (b"/api/v1/messages", b"X-Relief-Sender: dept:\x00"),
                         (b"/api/v1/auth/token", b"X-Anything: \x00")):
        with socket.create_connection((url.hostname, url.port), timeout=30) as s:
            s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" + header +
                      b"\r\nX-Relief-Signature: 00\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
        status = answer.split(b" ", 2)[1]
        assert status == b"400", (header, answer)
        assert header.split(b":")[0].lower() in answer.lower()


def test_issue9_defect11_a_405_names_the_methods_allowed(live):
    r = live.call("DELETE", "/api/v1/instances", as_="admin")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
