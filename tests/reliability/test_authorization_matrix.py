"""Every route × every role, generated from the app's route table (J-SEC, issue 9).

A route without a rule fails `test_J_SEC_every_endpoint_has_an_authorization_rule`; this
matrix then proves the rule is what the server does: nobody unauthenticated gets past a
non-public route, no role outside a route's rule gets past it, and nothing answers 5xx.
Scope (region, department) rows are added where the scope rule lives."""

from __future__ import annotations

import re

import pytest

from api.security import AUTHENTICATED, PUBLIC, SIGNED, WORKER
from tests.api.conftest import live  # noqa: F401 - the live server fixture

# One demo account per role.
ACCOUNTS = {"admin": "admin", "designer": "designer", "clerk": "window", "dispatcher": "centre",
            "caseworker": "dept-civil-affairs", "leader": "leader", "supervisor": "supervisor",
            "auditor": "auditor", "applicant": "applicant", "system": "hotline"}
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# Routes that end the sign-in they are called with: the next call needs a new token.
SIGNING_OUT = {"/api/v1/auth/revoke", "/sign-out"}


def _routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for r in app.url_map.iter_rules():
        if r.endpoint == "static" or r.endpoint.startswith("api-docs."):
            continue
        rule = app.view_functions[r.endpoint]._relief_rule
        path = _PARAM.sub(lambda m: "2026-01-05" if "date" in m.group(1) or m.group(1) == "day"
                          else ("2026-01" if m.group(1) == "month" else "no-such-" + m.group(1)), r.rule)
        for method in sorted(r.methods - {"HEAD", "OPTIONS"}):
            out.append((method, path, rule))
    return out


def _to_sign_in(r) -> bool:
    """A page answers a visitor without a sign-in with a redirect to the sign-in page."""
    return r.status_code in (302, 303) and r.headers.get("Location", "").split("?")[0].endswith("/sign-in")


def _allowed(role: str, rule: tuple[str, ...]) -> bool:
    return PUBLIC in rule or AUTHENTICATED in rule or role == "admin" or role in rule


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_J_SEC_every_route_refuses_who_its_rule_does_not_name(live, figures):  # noqa: F811
    app = live.app
    failures = []
    for method, path, rule in _routes(app):
        body = {} if method in ("POST", "PUT", "PATCH") else None
        anonymous = live.call(method, path, json=body, allow_redirects=False)
        figures["authorization matrix requests"] += 1
        if anonymous.status_code >= 500:
            failures.append(f"{method} {path} anonymous → {anonymous.status_code}")
        if PUBLIC not in rule and anonymous.status_code not in (401, 403) and not _to_sign_in(anonymous):
            failures.append(f"{method} {path} anonymous → {anonymous.status_code}, not 401")
        for role, account in ACCOUNTS.items():
            r = live.call(method, path, as_=account, json=body)
            figures["authorization matrix requests"] += 1
            if r.status_code >= 500:
                failures.append(f"{method} {path} as {role} → {r.status_code}")
            elif WORKER in rule and r.status_code != 401:
                failures.append(f"{method} {path} as {role} → {r.status_code}: job routes take worker tokens only")
            elif WORKER not in rule and not _allowed(role, rule) and r.status_code != 403:
                failures.append(f"{method} {path} as {role} → {r.status_code}, not 403 (rule: {rule})")
            if path in SIGNING_OUT:
                live.forget(account)
    figures["authorization matrix 5xx"] += sum(" → 5" in f for f in failures)
    assert failures == []
    assert SIGNED  # signed routes are exercised with real signatures in tests/workers
