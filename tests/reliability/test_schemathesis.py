"""Schemathesis against the live server, generated from /api/v1/openapi.json (issue 9,
defects 7 and 11): no answer is a 5xx, and every answer is what the document says
(status code, content type, headers, body), for valid and for invalid requests alike.

Each operation is called with the credential its security requirement names: a user's
bearer token (rotating over the demo accounts its rule admits), a worker token on the job
endpoints, an HMAC-signed request from the 12345 platform on the signed ones, nothing on
public ones. Valid data must not be refused with 400/422 (the document promises no more
than the server keeps), invalid data must be (the server keeps what the document
promises). Bounded for CI: a fixed number of examples per operation and mode, derandomized;
`make reliability LONG=1` runs more."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from flask_smorest.spec.plugins import FlaskPlugin
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as oas

from api.cli import deploy_all
from api.security import AUTHENTICATED, PUBLIC, SIGNED, WORKER
from api.settings import ROOT
from engine.auth.signatures import signed_headers
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.api.test_api import _deploy_mini
from tests.reliability.conftest import long_mode
from tests.reliability.test_authorization_matrix import ACCOUNTS

EXAMPLES = 100 if long_mode() else 12
HOTLINE_SECRET = "schemathesis-hotline-secret"
CHECKS = [not_a_server_error, oas.status_code_conformance, oas.content_type_conformance,
          oas.response_headers_conformance, oas.response_schema_conformance, oas.positive_data_acceptance,
          oas.negative_data_rejection]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
# Credentials are the caller's (below): the authorization matrix tries the wrong ones.
# No NUL in generated text: every string property states it in its `pattern`, and free-form
# JSON (case data, payloads) cannot state it in OpenAPI 3.0 (tests/api/test_bad_input.py
# proves NUL there is refused).
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False, "allow-x00": False}})
# Valid JSON these operations refuse for what JSON Schema cannot state; each refusal is a
# 422 naming the field, documented on the operation (proved by the tests named after it).
SEMANTIC = {
    "POST /api/v1/deployments": "the files must be deployable BPMN, DMN and form-js",
    "POST /api/v1/calendar/imports": "the content must be a CSV or YAML arrangement",
    "POST /api/v1/intake/hotline": "the ticket must fill the start form (ID number check digit)",
    "GET /api/v1/calendar/add-working-days": "the deadline must fall on or before 9999-12-31",
    "POST /api/v1/admin/clock/advance": "the clock moves at most 3660 days from the wall clock in all",
    "POST /api/v1/instances/{instance_id}/materials": "the file must be a PDF, JPEG or PNG by content, of a known kind",
}


def _rules(app) -> dict[tuple[str, str], tuple[str, ...]]:
    """(METHOD, OpenAPI path) → the view's authorization rule."""
    out = {}
    for r in app.url_map.iter_rules():
        rule = getattr(app.view_functions[r.endpoint], "_relief_rule", None)
        for method in r.methods - {"HEAD", "OPTIONS"}:
            out[(method, FlaskPlugin.flaskpath2openapi(r.rule))] = rule
    return out


def _accounts(rule: tuple[str, ...]) -> list[str]:
    """The demo accounts a user rule admits (admin always)."""
    if AUTHENTICATED in rule:
        return list(ACCOUNTS.values())
    return ["admin"] + [account for role, account in ACCOUNTS.items() if role in rule and role != "admin"]


class Caller:
    """Sends a generated case with the credential its operation's rule asks for."""

    def __init__(self, client, worker_token: str) -> None:
        self.live = client
        self.worker_token = worker_token
        self.rules = _rules(client.app)
        self.sent = 0

    def send(self, case: schemathesis.Case) -> tuple[requests.Response, dict[str, str]]:
        op = case.operation
        wait = case.body.get("wait_seconds") if isinstance(case.body, dict) else None
        if op.path.endswith("/fetch-and-lock") and isinstance(wait, (int, float)) and 0 < wait <= 60:
            case.body["wait_seconds"] = 0.05  # a valid long poll, shortened: the wait itself finds nothing
        kwargs = case.as_transport_kwargs(base_url=self.live.base)
        headers = dict(kwargs.pop("headers", None) or {})
        rule = self.rules[(op.method.upper(), op.path)]
        if WORKER in rule:
            headers["Authorization"] = f"Bearer {self.worker_token}"
        elif rule == (SIGNED,):
            # Sign exactly the bytes that are sent.
            kwargs["data"] = json.dumps(kwargs.pop("json")).encode() if "json" in kwargs else b""
            headers.update(signed_headers("12345", HOTLINE_SECRET, kwargs["data"]))
        elif PUBLIC not in rule:
            accounts = _accounts(rule)
            headers["Authorization"] = f"Bearer {self.live.token(accounts[self.sent % len(accounts)])}"
        self.sent += 1
        return requests.request(headers=headers, timeout=60, **kwargs), headers


def _fuzz(caller: Caller, op: Any, mode: schemathesis.GenerationMode, answers: Counter[int],
          failures: dict[str, str]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response, headers = caller.send(case)
        answers[response.status_code] += 1
        checks = [c for c in CHECKS if not (op.label in SEMANTIC and c is oas.positive_data_acceptance)]
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (FailureGroup, AssertionError) as failure:
            failures.setdefault(f"{op.label} ({mode.value})", f"{failure}"[:2500])

    try:
        run()
    except Unsatisfiable:
        assert mode is schemathesis.GenerationMode.NEGATIVE  # nothing of it can be invalid (no parameters)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
def test_issue9_every_operation_answers_what_the_openapi_document_says(live, engine, figures,  # noqa: F811
                                                                       monkeypatch):
    monkeypatch.setenv("RELIEF_HOTLINE_SECRET", HOTLINE_SECRET)
    deploy_all(engine, ROOT / "workflows", "test")  # the hotline's process, definitions to list
    assert _deploy_mini(live).status_code == 201
    _, token = engine.create_worker_token("fuzz", [], "test")
    caller = Caller(live, token)
    schema = schemathesis.openapi.from_url(f"{live.base}/api/v1/openapi.json", config=CONFIG)
    answers: Counter[int] = Counter()
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 41
    for op in operations:
        for mode in MODES:
            _fuzz(caller, op, mode, answers, failures)
    figures["fuzz cases run (schemathesis)"] += sum(answers.values())
    figures["5xx answers"] += sum(n for status, n in answers.items() if status >= 500)
    figures["schema mismatches"] += len(failures)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert sum(n for status, n in answers.items() if status >= 500) == 0
    assert any(200 <= status < 300 for status in answers)
