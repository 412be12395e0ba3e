"""Hostile deployments over real HTTP (issue 9 defects 2, 7 and 8; issue 13).

A designer account is the attacker: code injection through every expression site, resource
exhaustion through every site, XML attacks (external entities, billion laughs, huge
attributes, deep nesting), huge and deep form files, elements the engine cannot run and
dangling references. Each must be refused at deploy (4xx naming the element or file) or,
when it deploys, bounded when a case runs (4xx naming the element and the bound). The
hostile code would write a canary file: it must never appear. Nothing a refusal answered
may have changed what is stored. No answer may be a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.definitions.bundle import BundleFile
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.engine.test_deploy_checks import UNSUPPORTED
from tests.support import diagrams as d
from tests.support.hostile import ELEMENT, SITES

TABLES = ("deployments", "definitions", "instances", "human_tasks", "jobs", "timers", "audit_events")
Files = list[BundleFile]


def _payloads(canary: Path) -> list[str]:
    """Ways hostile code would write the canary; the sites take them in turn."""
    return [f"__import__('os').system('touch {canary}')",
            f"open('{canary}', 'w').write('ran')",
            f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0](['touch', '{canary}'])",
            f"getattr(__builtins__, 'exec')(\"open('{canary}', 'w')\")",
            f"eval(\"open('{canary}', 'w')\")",
            f"exec(\"open('{canary}', 'w')\")"]


# What exhausts a site at run time while every construct in it is allowed.
_SPIN = "len([0 for i in range(10000) for j in range(10000)])"
_SPIN_SCRIPT = "x = 0\nfor i in range(10000):\n    for j in range(10000):\n        x = x + 1"
_EXHAUST: dict[str, str] = {site: _SPIN for site in SITES}
_EXHAUST.update({"script task": _SPIN_SCRIPT, "pre-script": _SPIN_SCRIPT, "post-script": _SPIN_SCRIPT,
                 "timer": "add_working_days(now(), 900000000)",
                 "timer duration": "'P1D' * 1000000000",
                 "cardinality": "1000000"})


def _xml_attacks(canary: Path) -> dict[str, Files]:
    mini = d.chain("xml_attack", [d.user_task("Task_1")])
    secret = canary.parent / "secret.txt"
    secret.write_text("TOP-SECRET")
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    attacks = {
        "external entity": mini.replace(head, f'{head}<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>')
                               .replace('name="测试"', 'name="&x;"'),
        "billion laughs": mini.replace(head, head + '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                                       + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                                                 for i in range(9)) + "]>").replace('name="测试"', 'name="&j;"'),
        "parameter entity": mini.replace(head, f'{head}<!DOCTYPE d [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'),
        "huge attribute": mini.replace('name="测试"', 'name="' + "长" * 1_500_000 + '"'),
        "deep nesting": mini.replace('<bpmn:endEvent id="EndEvent_1" name="结束" />',
                                     '<bpmn:endEvent id="EndEvent_1" name="结束"><bpmn:documentation>'
                                     + "<x>" * 10_000 + "</x>" * 10_000 + "</bpmn:documentation></bpmn:endEvent>"),
        "oversized file": mini.replace("</bpmn:definitions>", "<!--" + "x" * 6_000_000 + "--></bpmn:definitions>"),
        "not xml": "\x00\x01 not a diagram",
        "xinclude": mini.replace('<bpmn:process id="xml_attack"',
                                 f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{secret}" '
                                 'parse="text" /><bpmn:process id="xml_attack"'),
    }
    return {name: d.bundle(xml) for name, xml in attacks.items()}


def _form_task(form_key: str) -> str:
    return ('<bpmn:userTask id="Task_Form" name="填写"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="formKey" value="{form_key}" />'
            '<spiffworkflow:property name="candidateGroups" value="county-centre" />'
            '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')


def _form_attacks() -> dict[str, Files]:
    def with_form(key: str, form: str) -> Files:
        return d.bundle(d.chain("form_attack", [_form_task(key)]), **{key: form})

    field = {"type": "textfield", "key": "code", "label": "代码"}
    return {
        "100,000-deep form": with_form("t/deep.json", '{"type": "default", "components": [], "x": '
                                       + "[" * 100_000 + "]" * 100_000 + "}"),
        "huge form": with_form("t/huge.json", json.dumps({"type": "default", "components": [
            {**field, "key": f"f{i}", "description": "长" * 200} for i in range(3000)]})),
        "back-reference pattern": with_form("t/backref.json", json.dumps({"type": "default", "components": [
            {**field, "validate": {"pattern": r"((a+)+)\2$"}}]})),
        "form key leaving the forms folder": d.bundle(d.chain("form_attack", [_form_task("../../etc/passwd.json")])),
        "hide condition with code": with_form("t/hide.json", json.dumps({"type": "default", "components": [
            {**field, "conditional": {"hide": "=__import__(\"os\")"}}]})),
    }


def _dangling() -> dict[str, Files]:
    base = d.chain("dangling", [d.user_task("Task_1")])
    return {name: d.bundle(xml) for name, xml in {
        "flow to nowhere": base.replace('targetRef="EndEvent_1"', 'targetRef="No_Such_Element"'),
        "boundary on nothing": d.chain("dangling", [d.user_task("Task_1")], extra=(
            '<bpmn:boundaryEvent id="Timer_Lost" attachedToRef="No_Such_Task"><bpmn:timerEventDefinition>'
            '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>')),
        "message that does not exist": d.chain("dangling", [
            '<bpmn:intermediateCatchEvent id="Catch_Lost"><bpmn:messageEventDefinition messageRef="No_Message" />'
            '</bpmn:intermediateCatchEvent>']),
        "error that does not exist": d.chain("dangling", [d.user_task("Task_1")], extra=(
            '<bpmn:boundaryEvent id="Error_Lost" attachedToRef="Task_1"><bpmn:errorEventDefinition '
            'errorRef="No_Error" /></bpmn:boundaryEvent>')),
        "called process that does not exist": d.chain("dangling", [
            '<bpmn:callActivity id="Call_Lost" calledElement="no_such_process" />']),
        "decision that does not exist": d.chain("dangling", [d.business_rule_task("Rule_Lost", "no_such_decision")]),
        "default flow that does not exist": d.chain("dangling", [
            '<bpmn:exclusiveGateway id="Gateway_Lost" default="No_Such_Flow" />']),
        "form that does not exist": d.chain("dangling", [_form_task("t/no-such-form.json")]),
        "process calling itself": d.chain("dangling", [
            '<bpmn:callActivity id="Call_Self" calledElement="dangling" />']),
    }.items()}


def _unsupported() -> dict[str, Files]:
    return {name: d.bundle(d.chain("unsupported", nodes, extra=extra, definitions_extra=top))
            for name, (nodes, extra, top, _element) in UNSUPPORTED.items()}


class Attempt:
    """One hostile deployment through the API, and what happened to it."""

    def __init__(self, live, engine, canary: Path, figures) -> None:  # noqa: F811
        self.live, self.engine, self.canary, self.figures = live, engine, canary, figures
        self.failures: list[str] = []

    def stored(self) -> dict[str, int]:
        with self.engine.db.session() as s:
            return {t: s.scalar(sa.text(f"SELECT COUNT(*) FROM {t}")) for t in TABLES}  # noqa: S608 - fixed names

    def answer(self, name: str, r) -> None:
        if r.status_code >= 500:
            self.figures["5xx answers"] += 1
            self.failures.append(f"{name}: {r.status_code} {r.text[:200]}")

    def deploy(self, name: str, files: Files, element: str | None = None) -> object | None:
        """Upload `files`; a refusal must be a 4xx (naming `element` when given) that stored nothing.
        Returns the deployment's answer when it was accepted (to run it), else None."""
        self.figures["hostile deployments tried"] += 1
        before = self.stored()
        r = self.live.call("POST", "/api/v1/deployments", as_="designer",
                           files=[("files", (f.name, f.content)) for f in files])
        self.answer(name, r)
        self.check_canary(name)
        if r.status_code == 201:
            return r.json()
        if not 400 <= r.status_code < 500:
            self.failures.append(f"{name}: answered {r.status_code}")
        elif element is not None and element not in json.dumps(r.json(), ensure_ascii=False):
            self.failures.append(f"{name}: refusal does not name {element}: {r.text[:300]}")
        if self.stored() != before:
            self.failures.append(f"{name}: a refused deployment changed what is stored")
        return None

    def run(self, name: str, definition: str) -> None:
        """Start a case of an accepted hostile definition and complete what it asks, until the
        bound answers: a 4xx naming the bound, never a 5xx, the canary never written."""
        before = self.stored()
        r = self.live.call("POST", "/api/v1/instances", as_="window", json={"definition": definition, "data": {}})
        self.answer(name, r)
        for _ in range(3):
            if r.status_code != 201:
                break
            tasks = self.live.call("GET", "/api/v1/tasks", as_="admin", params={"instance": r.json()["id"]})
            open_ = [t for t in (tasks.json() if tasks.status_code == 200 else []) if t.get("state") == "open"]
            if not open_:
                break
            before = self.stored()
            r = self.live.call("POST", f"/api/v1/tasks/{open_[0]['id']}/complete", as_="admin", json={"data": {}})
            self.answer(name, r)
        self.check_canary(name)
        if r.status_code == 201 or r.status_code == 200:
            self.failures.append(f"{name}: deployed and ran without meeting a bound")
        elif not 400 <= r.status_code < 500 or "limit" not in r.json().get("details", {}):
            self.failures.append(f"{name}: the run ended with {r.status_code} {r.text[:300]}, not a bound")
        elif self.stored() != before:
            self.failures.append(f"{name}: a refused command changed what is stored")

    def check_canary(self, name: str) -> None:
        if self.canary.exists():
            self.figures["hostile code ran"] += 1
            self.failures.append(f"{name}: the canary was written")
            self.canary.unlink()


@pytest.fixture
def attempt(live, engine, tmp_path, figures) -> Attempt:  # noqa: F811
    figures["hostile code ran"] += 0  # shown as 0 in the table, not left out
    figures["5xx answers"] += 0
    return Attempt(live, engine, tmp_path / "canary", figures)


def test_issue9_code_injection_through_every_site_is_refused_at_deploy(attempt):
    payloads = _payloads(attempt.canary)
    for index, site in enumerate(sorted(SITES)):
        payload = payloads[index % len(payloads)]
        if attempt.deploy(f"injection via {site}", SITES[site](payload), ELEMENT[site]) is not None:
            attempt.failures.append(f"injection via {site}: deployed")
    assert attempt.failures == [], "\n".join(attempt.failures)
    assert not attempt.canary.exists()


def test_issue9_resource_exhaustion_through_every_site_is_refused_or_bounded(attempt, watchdog):
    for site in sorted(SITES):
        name = f"exhaustion via {site}"
        deployed = attempt.deploy(name, SITES[site](_EXHAUST[site]), ELEMENT[site])
        if deployed is not None:
            attempt.run(name, deployed["definitions"][0]["key"])
    assert attempt.failures == [], "\n".join(attempt.failures)


@pytest.mark.parametrize("kind", ["xml", "forms", "unsupported", "dangling"])
def test_issue9_xml_form_element_and_reference_attacks_are_refused_at_deploy(attempt, kind):
    builders: dict[str, Callable[[], dict[str, Files]]] = {
        "xml": lambda: _xml_attacks(attempt.canary), "forms": _form_attacks, "unsupported": _unsupported,
        "dangling": _dangling}
    cases = builders[kind]()
    elements = {name: element for name, (_n, _e, _t, element) in UNSUPPORTED.items()} if kind == "unsupported" else {}
    for name, files in cases.items():
        if attempt.deploy(name, files, elements.get(name)) is not None:
            attempt.failures.append(f"{name}: deployed")
    assert attempt.failures == [], "\n".join(attempt.failures)
    assert "TOP-SECRET" not in json.dumps([str(f) for f in attempt.failures])


def test_issue9_the_suite_tries_at_least_as_many_hostile_deployments_as_the_probe(attempt):
    """The probe of issue 9 tried 34 hostile deployments; this suite tries at least as many."""
    total = (len(SITES) * 2 + len(_xml_attacks(attempt.canary)) + len(_form_attacks()) + len(_unsupported())
             + len(_dangling()))
    assert total >= 34

