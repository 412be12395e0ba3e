"""Every route × every role, generated from the app's route table (J-SEC, issue 9).

A route without a rule fails `test_J_SEC_every_endpoint_has_an_authorization_rule`; this
matrix then proves the rule is what the server does: nobody unauthenticated gets past a
non-public route, no role outside a route's rule gets past it, and nothing answers 5xx.
The scope matrix below then runs every route that reads or changes a case against a real
case of one region and department, as users of other regions and departments."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD, JIANGYIN, YIXING
from api.security import AUTHENTICATED, PUBLIC, SIGNED, SYSTEM, WORKER
from engine.auth import create_user
from engine.definitions.bundle import BundleFile
from engine.runtime import commands as cmd
from engine.runtime.commands.timer_incidents import FAILURES_BEFORE_INCIDENT
from engine.store.models import AuditEvent, HumanTask, Instance, Job, Timer, User
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from workers.runner import run_pending

FIXTURES = Path(__file__).parent / "fixtures"

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
    # A system account (the 12345 platform's `hotline`) gets only the routes that name it:
    # not even those open to any person (issue 9, defect 9).
    if role == SYSTEM:
        return PUBLIC in rule or SYSTEM in rule
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


# ---------------------------------------------------------------------------------------
# Scope: region and department (engine/auth/scope.py, engine/auth/senders.py).
# A real case in region A (Jiangyin) dispatched to department X (civil affairs); users of
# region A and B (Yixing), departments X and Y (HR & social security), and X's namesake in
# region B. Every route that reads or changes a case, task, history or record: B and Y get
# 403/404 (or, for a list, nothing of the case), A and X get through.
SCOPE_PREFIXES = ("/api/v1/instances", "/api/v1/tasks", "/api/v1/messages", "/api/v1/outbox", "/api/v1/ledger",
                  "/api/v1/incidents", "/api/v1/audit/")
CASE_PARAMS = ("<instance_id>", "<task_id>", "<job_id>", "<timer_id>")
ID_NUMBER, PHONE, NAME = "11010519491231002X", "13812345678", "范围测试"
OUTSIDE = {"clerk": ["window-yixing"], "dispatcher": ["centre-yixing"], "leader": ["leader-yixing"],
           "supervisor": ["supervisor-yixing"], "auditor": ["auditor-yixing"],
           "caseworker": ["dept-hrss", "dept-civil-affairs-yixing"], "applicant": ["applicant"]}
READERS = ["window", "centre", "leader", "supervisor", "auditor", "dept-civil-affairs"]


@dataclass
class ScopedCase:
    id: str
    key: str
    centre_task: str
    dept_task: str
    job: str
    timer: str

    @property
    def secrets(self) -> list[str]:
        return [ID_NUMBER, PHONE, NAME, self.key, self.id, self.centre_task, self.dept_task, self.job, self.timer]


@dataclass
class Row:
    """How one route is called on the case, and who gets through (account, what they see)."""

    path: Callable[[ScopedCase], str]
    insiders: Callable[[ScopedCase], list[tuple[str, str]]]
    body: Callable[[ScopedCase], Any] = lambda c: None
    listing: bool = False  # a list: outsiders get it without the case rather than 403
    not_outsiders: tuple[str, ...] = ()  # roles of the rule this row does not confine
    order: int = 0  # writes run after every read, in this order (cancel last)


def _message(name: str) -> Callable[[ScopedCase], dict]:
    return lambda c: {"name": name, "business_key": c.key, "payload": {"approved": True, "amount": 99999}}


SCOPE_ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/instances"): Row(lambda c: "/api/v1/instances", lambda c: [(a, c.id) for a in READERS],
                                      listing=True),
    ("GET", "/api/v1/instances/<instance_id>"): Row(lambda c: f"/api/v1/instances/{c.id}",
                                                    lambda c: [(a, c.key) for a in READERS]),
    ("GET", "/api/v1/instances/<instance_id>/history"): Row(lambda c: f"/api/v1/instances/{c.id}/history",
                                                            lambda c: [(a, "start_instance") for a in READERS]),
    ("GET", "/api/v1/instances/<instance_id>/verify"): Row(lambda c: f"/api/v1/instances/{c.id}/verify",
                                                           lambda c: [("auditor", '"valid":true')]),
    ("GET", "/api/v1/tasks"): Row(lambda c: "/api/v1/tasks", lambda c: [("centre", c.centre_task),
                                                                         ("dept-civil-affairs", c.dept_task)],
                                  listing=True),
    ("GET", "/api/v1/tasks/<task_id>"): Row(lambda c: f"/api/v1/tasks/{c.centre_task}",
                                            lambda c: [("centre", ID_NUMBER)]),
    ("GET", "/api/v1/outbox"): Row(lambda c: "/api/v1/outbox", lambda c: [(a, c.id) for a in READERS[:3]],
                                   listing=True),
    ("GET", "/api/v1/ledger"): Row(lambda c: "/api/v1/ledger", lambda c: [(a, c.key) for a in READERS],
                                   listing=True),
    ("GET", "/api/v1/ledger.csv"): Row(lambda c: "/api/v1/ledger.csv", lambda c: [(a, c.key) for a in READERS],
                                       listing=True),
    ("GET", "/api/v1/incidents"): Row(lambda c: "/api/v1/incidents", lambda c: [("centre", c.job),
                                                                                 ("supervisor", c.job)],
                                      listing=True),
    ("GET", "/api/v1/incidents/timers"): Row(lambda c: "/api/v1/incidents/timers",
                                             lambda c: [("centre", c.timer), ("supervisor", c.timer)], listing=True),
    ("POST", "/api/v1/tasks/<task_id>/claim"): Row(lambda c: f"/api/v1/tasks/{c.centre_task}/claim",
                                                   lambda c: [("centre", '"assignee":"centre"')], order=1),
    ("POST", "/api/v1/tasks/<task_id>/unclaim"): Row(lambda c: f"/api/v1/tasks/{c.centre_task}/unclaim",
                                                     lambda c: [("centre", '"assignee":null')], order=2),
    ("POST", "/api/v1/tasks/<task_id>/complete"): Row(lambda c: f"/api/v1/tasks/{c.dept_task}/complete",
                                                      lambda c: [("dept-civil-affairs", '"state":"completed"')],
                                                      body=lambda c: {"data": {}}, order=3),
    ("POST", "/api/v1/messages"): Row(lambda c: "/api/v1/messages",
                                      lambda c: [("dept-civil-affairs", c.id)], body=_message("department_result"),
                                      order=4),
    ("POST", "/api/v1/incidents/<job_id>/retry"): Row(lambda c: f"/api/v1/incidents/{c.job}/retry",
                                                      lambda c: [("centre", '"state":"pending"')], body=lambda c: {},
                                                      order=5),
    ("POST", "/api/v1/incidents/timers/<timer_id>/retry"): Row(
        lambda c: f"/api/v1/incidents/timers/{c.timer}/retry", lambda c: [("supervisor", '"state":"pending"')],
        order=6),
    ("POST", "/api/v1/instances"): Row(lambda c: "/api/v1/instances", lambda c: [("window", '"region":"320281001001"')],
                                       body=lambda c: {"definition": "scope_case", "region": "320281001001",
                                                       "data": {"department": "civil-affairs"}}, order=7,
                                       not_outsiders=("applicant",)),  # an application names where its applicant lives
    ("POST", "/api/v1/instances/<instance_id>/cancel"): Row(lambda c: f"/api/v1/instances/{c.id}/cancel",
                                                            lambda c: [("centre", '"status":"cancelled"')],
                                                            body=lambda c: {"reason": "矩阵测试"}, order=8),
    # The web app's task page and its actions (web/views/tasks.py): the same scope as the API.
    ("GET", "/tasks/<task_id>"): Row(lambda c: f"/tasks/{c.centre_task}", lambda c: [("centre", c.key)]),
    ("POST", "/tasks/<task_id>/claim"): Row(lambda c: f"/tasks/{c.centre_task}/claim",
                                            lambda c: [("centre", "放弃认领")], order=2),
    ("POST", "/tasks/<task_id>/draft"): Row(lambda c: f"/tasks/{c.centre_task}/draft",
                                            lambda c: [("centre", "saved_at")],
                                            body=lambda c: {"data": {"note": "矩阵测试"}}, order=2),
    ("POST", "/tasks/<task_id>/hand-over"): Row(lambda c: f"/tasks/{c.centre_task}/hand-over",
                                                lambda c: [("centre", "未移交")], order=2),
    ("POST", "/tasks/<task_id>/unclaim"): Row(lambda c: f"/tasks/{c.centre_task}/unclaim",
                                              lambda c: [("centre", "已放弃认领")], order=2),
    ("POST", "/tasks/<task_id>/complete"): Row(lambda c: f"/tasks/{c.dept_task}/complete", lambda c: [],
                                               body=lambda c: {"data": {}}, order=2),
    # X-AUDIT: the auditor's re-execution, export and replay page (the reveal shows the ID number in full).
    ("GET", "/api/v1/audit/cases/<instance_id>/verification"): Row(
        lambda c: f"/api/v1/audit/cases/{c.id}/verification", lambda c: [("auditor", '"ok":true')]),
    ("GET", "/api/v1/audit/cases/<instance_id>/export"): Row(lambda c: f"/api/v1/audit/cases/{c.id}/export",
                                                             lambda c: [("auditor", "manifest.json")]),
    ("GET", "/audit/cases/<instance_id>"): Row(lambda c: f"/audit/cases/{c.id}", lambda c: [("auditor", c.key)]),
    ("GET", "/audit/cases/<instance_id>/export.zip"): Row(lambda c: f"/audit/cases/{c.id}/export.zip",
                                                          lambda c: [("auditor", "events.json")]),
    ("POST", "/audit/cases/<instance_id>/reveal"): Row(lambda c: f"/audit/cases/{c.id}/reveal",
                                                       lambda c: [("auditor", ID_NUMBER)],
                                                       body=lambda c: {"reason": "矩阵测试"}),
    # Materials and notices (insiders: tests/api/test_materials_api.py, tests/web/test_materials.py).
    ("GET", "/api/v1/instances/<instance_id>/materials"): Row(lambda c: f"/api/v1/instances/{c.id}/materials",
                                                              lambda c: [(a, '"key":"id_card"') for a in READERS]),
    ("POST", "/api/v1/instances/<instance_id>/materials"): Row(lambda c: f"/api/v1/instances/{c.id}/materials",
                                                               lambda c: []),
    ("GET", "/api/v1/instances/<instance_id>/materials/<material_id>"): Row(
        lambda c: f"/api/v1/instances/{c.id}/materials/{c.id}", lambda c: []),
    ("GET", "/cases/<instance_id>/materials"): Row(lambda c: f"/cases/{c.id}/materials",
                                                   lambda c: [(a, "申请人居民身份证") for a in READERS]),
    ("POST", "/cases/<instance_id>/materials"): Row(lambda c: f"/cases/{c.id}/materials", lambda c: []),
    ("GET", "/cases/<instance_id>/materials/<material_id>"): Row(lambda c: f"/cases/{c.id}/materials/{c.id}",
                                                                 lambda c: []),
    ("GET", "/cases/<instance_id>/notices/<kind>.pdf"): Row(lambda c: f"/cases/{c.id}/notices/receipt.pdf",
                                                            lambda c: [("window", "%PDF-")]),
    # The case pages (web/views/cases.py): the page, the applicant in full, comments.
    ("GET", "/cases/<instance_id>"): Row(lambda c: f"/cases/{c.id}", lambda c: [(a, c.key) for a in READERS]),
    # T-ARCHIVE: the household file has the case page's scope (tests/web/test_household_file.py).
    ("GET", "/cases/<instance_id>/household"): Row(lambda c: f"/cases/{c.id}/household",
                                                   lambda c: [(a, c.key) for a in READERS]),
    ("GET", "/cases/<instance_id>/household.pdf"): Row(lambda c: f"/cases/{c.id}/household.pdf", lambda c: []),
    ("POST", "/cases/<instance_id>/reveal"): Row(lambda c: f"/cases/{c.id}/reveal",
                                                 lambda c: [(a, ID_NUMBER) for a in ("window", "dept-civil-affairs")]),
    ("POST", "/cases/<instance_id>/comments"): Row(lambda c: f"/cases/{c.id}/comments",
                                                   lambda c: [("centre", "矩阵测试意见")],
                                                   body=lambda c: {"text": "矩阵测试意见"}, order=7),
    # Issue 10: the case's wait for civil affairs' system (Receive_Result, dept:dispatched).
    ("GET", "/api/v1/tasks/department-waits"): Row(lambda c: "/api/v1/tasks/department-waits",
                                                   lambda c: [("centre", c.key), ("dept-civil-affairs", c.key)],
                                                   listing=True),
    # X-AUDIT: seals and nightly runs (counts for all; failures scoped: tests/api/test_audit_api.py).
    ("GET", "/api/v1/audit/seals"): Row(lambda c: "/api/v1/audit/seals",
                                        lambda c: [(a, '"seals"') for a in ("auditor", "supervisor")], listing=True),
    ("GET", "/api/v1/audit/seals/verification"): Row(
        lambda c: "/api/v1/audit/seals/verification", lambda c: [(a, '"ok"') for a in ("auditor", "supervisor")],
        listing=True),
    ("GET", "/api/v1/audit/runs"): Row(lambda c: "/api/v1/audit/runs",
                                       lambda c: [(a, '"runs"') for a in ("auditor", "supervisor")], listing=True),
    ("GET", "/api/v1/audit/runs/<run_id>"): Row(lambda c: "/api/v1/audit/runs/1", lambda c: [], listing=True),
}


def _case_routes(app) -> set[tuple[str, str]]:
    """Every route a person reaches that reads or changes a case, task, history or record."""
    out = set()
    for r in app.url_map.iter_rules():
        if r.endpoint == "static" or r.endpoint.startswith("api-docs."):
            continue
        rule = app.view_functions[r.endpoint]._relief_rule
        if WORKER in rule or PUBLIC in rule or set(rule) <= {SIGNED}:
            continue  # worker tokens are held to their job's lock; signed systems to their message rules
        if r.rule.startswith(SCOPE_PREFIXES) or any(p in r.rule for p in CASE_PARAMS):
            out |= {(m, r.rule) for m in r.methods - {"HEAD", "OPTIONS"}}
    return out


def _scope_users(engine) -> None:
    extra = [("leader-yixing", ["leader"], ["leader"], None), ("supervisor-yixing", ["supervisor"], ["supervisor"],
                                                              None),
             ("auditor-yixing", ["auditor"], [], None),
             ("dept-civil-affairs-yixing", ["caseworker"], ["dept:civil-affairs"], "civil-affairs")]
    with engine.db.session() as s:
        known = set(s.scalars(sa.select(User.username)))
        for username, roles, groups, department in extra:
            if username not in known:
                create_user(s, username, DEMO_PASSWORD, roles, groups, department, YIXING, username)


def _scoped_case(client, engine) -> ScopedCase:
    engine.deploy([BundleFile("scope_case.bpmn", "bpmn", (FIXTURES / "scope_case.bpmn").read_bytes())], "designer")
    key = f"SCOPE-{uuid.uuid4().hex[:8]}"
    r = client.call("POST", "/api/v1/instances", as_="window", json={
        "definition": "scope_case", "business_key": key, "data": {
            "department": "civil-affairs", "applicant_id_number": ID_NUMBER, "applicant_phone": PHONE,
            "applicant_name": NAME}})
    assert r.status_code == 201 and r.json()["region"] == JIANGYIN, r.text
    instance_id = r.json()["id"]
    run_pending(engine)  # dispatched to civil affairs; a notice in the outbox, a ledger entry
    with engine.db.session() as s:
        tasks = {t.bpmn_id: t.id for t in s.scalars(sa.select(HumanTask).where(HumanTask.instance_id == instance_id))}
        timer = s.scalar(sa.select(Timer.id).where(Timer.instance_id == instance_id))
    job = engine.queue_job(instance_id, "applicant.notify", {"template": "received"}, f"scope:{key}", "test")
    [fetched] = engine.fetch_and_lock("scope-matrix", ["applicant.notify"])
    assert fetched.id == job.id
    engine.fail_job(job.id, "scope-matrix", "the SMS gateway refused it", retries=0)
    for _ in range(FAILURES_BEFORE_INCIDENT):
        engine.executor.run(cmd.RecordTimerFailure(timer, "the overdue path failed"), "scheduler")
    return ScopedCase(instance_id, key, tasks["Task_Centre"], tasks["Task_Department"], job.id, timer)


def _state(engine, case: ScopedCase) -> tuple:
    """What a refused request must not change."""
    with engine.db.session() as s:
        return (s.scalar(sa.select(sa.func.count()).select_from(Instance)),
                s.scalar(sa.select(sa.func.count()).where(AuditEvent.instance_id == case.id)),
                sorted((t.id, t.state, t.assignee) for t in s.scalars(
                    sa.select(HumanTask).where(HumanTask.instance_id == case.id))),
                s.get(Job, case.job).state, s.get(Timer, case.timer).state)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
def test_J_SEC_scope_every_case_route_refuses_other_regions_and_departments(live, figures):  # noqa: F811
    engine = live.app.extensions["relief_engine"]
    assert _case_routes(live.app) == set(SCOPE_ROWS), "a route that reads or changes a case needs a scope row"
    _scope_users(engine)
    case = _scoped_case(live, engine)
    before = _state(engine, case)
    db = "sqlite" if engine.db.is_sqlite else "postgresql"
    figures[f"scope matrix leaks ({db})"] += 0  # printed even when none: the test asserts it
    failures = []
    for (method, rule), row in sorted(SCOPE_ROWS.items(), key=lambda item: item[1].order):
        roles = live.app.view_functions[_endpoint(live.app, method, rule)]._relief_rule
        bodies = [row.body(case)] if rule != "/api/v1/messages" else [_message("department_result")(case),
                                                                      _message("supplementary_documents")(case)]
        for account in [a for role in roles if role not in row.not_outsiders for a in OUTSIDE.get(role, [])]:
            for body in bodies:
                r = live.call(method, row.path(case), as_=account, json=body)
                figures[f"scope matrix requests ({db})"] += 1
                figures[f"scope matrix refusals ({db})"] += 1
                sent = row.path(case) + json.dumps(body or {}, ensure_ascii=False)
                leaked = [v for v in case.secrets if v in r.text and v not in sent]
                if leaked:
                    figures[f"scope matrix leaks ({db})"] += 1
                allowed = (200, 403, 404) if row.listing else (403, 404)
                if r.status_code not in allowed or leaked:
                    failures.append(f"{method} {rule} as {account} → {r.status_code}, shows {leaked}")
    if _state(engine, case) != before:
        failures.append("a refused request changed the case")
    for (method, rule), row in sorted(SCOPE_ROWS.items(), key=lambda item: item[1].order):
        if rule == "/api/v1/messages":  # the window registers the documents too (role:clerk)
            r = live.call(method, row.path(case), as_="window", json=_message("supplementary_documents")(case))
            figures[f"scope matrix requests ({db})"] += 1
            if r.status_code != 202:
                failures.append(f"{method} {rule} as window → {r.status_code}: {r.text[:200]}")
        for account, shows in row.insiders(case):
            r = live.call(method, row.path(case), as_=account, json=row.body(case))
            figures[f"scope matrix requests ({db})"] += 1
            if r.status_code >= 300 or shows not in r.text:
                failures.append(f"{method} {rule} as {account} → {r.status_code}, not showing {shows}: {r.text[:200]}")
    assert failures == [], "\n".join(failures)


def _endpoint(app, method: str, rule: str) -> str:
    [endpoint] = [r.endpoint for r in app.url_map.iter_rules() if r.rule == rule and method in r.methods]
    return endpoint
