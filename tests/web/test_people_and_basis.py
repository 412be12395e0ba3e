"""X-STAFF: pages name people and deadlines as a clerk reads them — the display name of
whoever holds or did a step (not the username the engine records), and a deadline's basis
without requirement ids, timer jargon or variable names (the case's own number instead)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from lxml import etree

from api.settings import ROOT
from tests.scenarios.test_jiangyin import PROCESS, application
from web.basis import readable_basis

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
JARGON = re.compile(r"\b[A-Z]-[A-Z0-9]+\b|\b[a-z]+(?:_[a-z0-9]+)+\b|Script_|边界定时器")


SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


def timers() -> list[tuple[str, etree._Element]]:
    """Every timer event of workflows/ (boundary and intermediate), named file#id."""
    return [(f"{path.name}#{event.get('id')}", event)
            for path in sorted(Path(ROOT, "workflows").rglob("*.bpmn"))
            for event in etree.parse(str(path)).iter(f"{BPMN}boundaryEvent", f"{BPMN}intermediateCatchEvent")
            if event.find(f"{BPMN}timerEventDefinition") is not None]


def written_basis(event: etree._Element) -> str | None:
    """The timer's `basis` property, as the designer wrote it for clerks."""
    found = event.find(f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property[@name='basis']")
    return found.get("value") if found is not None else None


def timer_documentation() -> list[tuple[str, str]]:
    found = []
    for path in sorted(Path(ROOT, "workflows").rglob("*.bpmn")):
        for event in etree.parse(str(path)).iter(f"{BPMN}boundaryEvent"):
            doc = event.find(f"{BPMN}documentation")
            if event.find(f"{BPMN}timerEventDefinition") is not None and doc is not None and doc.text:
                found.append((f"{path.name}#{event.get('id')}", doc.text))
    return found


@pytest.mark.parametrize("where, text", timer_documentation())
def test_X_STAFF_every_deadline_basis_reads_without_jargon(where, text):
    limits = {name: 7 for name in re.findall(r"\b([a-z][a-z0-9_]*_days)\b", text)}
    shown = readable_basis(text, limits)
    assert shown and JARGON.search(shown) is None, f"{where}: {shown}"
    if limits:
        assert "7" in shown, f"{where}: the case's limit is not shown: {shown}"


@pytest.mark.parametrize("where, event", timers(), ids=[where for where, _ in timers()])
def test_X_STAFF_every_timer_has_a_basis_written_for_clerks(where, event):
    """Every timer of workflows/ says its deadline's basis for clerks: plain words naming the
    policy it comes from, no requirement ids or variables, shown on the task page as written."""
    basis = written_basis(event)
    assert basis, f"{where}: no basis property"
    assert JARGON.search(basis) is None, f"{where}: {basis}"
    assert re.search(r"号|工作机制|DB32/T", basis), f"{where}: names no policy: {basis}"
    assert readable_basis(basis, {"transfer_days": 7}) == basis


def test_X_STAFF_an_unknown_limit_is_said_in_words():
    assert readable_basis("J-X / X-TIMERS: 非中断边界定时器：check_days 个工作日内未审查的，督办。", {}) \
        == "规定的工作日内未审查的，督办。"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_X_STAFF_task_and_case_pages_name_people_and_the_basis_readably(site, scenario):
    case = scenario.start(PROCESS, application(), "JY-PEOPLE-1", actor="window")
    task_id = case.task("Task_CheckMaterials")["id"]
    assert site.call("POST", f"/tasks/{task_id}/claim", as_="window", allow_redirects=False).status_code == 302
    page = site.call("GET", f"/tasks/{task_id}", as_="window").text
    basis = re.search(r"期限依据：([^<]*)<", page)
    written = dict(timers())["jiangyin_one_door.bpmn#Timer_CheckMaterialsDeadline"]
    assert basis is not None and basis.group(1) == html.escape(written_basis(written), quote=False), basis
    assert "受理窗口 王敏" in page  # who holds the task, as people know them
    history = site.call("GET", f"/cases/{case.id}", as_="window").text
    actors = re.findall(r'class="timeline__who muted">([^<]*)<', history)
    assert actors and "受理窗口 王敏" in actors and "window" not in actors, actors


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_J_FIRST_a_lapsed_reservation_is_marked_in_a_colleagues_list(site, scenario):
    """J-FIRST: the re-check goes back to the clerk who first took the case, reserved for a
    working day; once that has lapsed, a colleague's list says the task may be taken over."""
    from api.demo import DEMO_PASSWORD, JIANGYIN
    from engine.auth import create_user
    from engine.store.models import User
    from tests.scenarios import test_jiangyin as jy
    from tests.scenarios.test_first_question import act, row

    engine = scenario.engine
    with engine.db.session() as s:
        if s.query(User).filter_by(username="jy-window-wang").first() is None:
            create_user(s, "jy-window-wang", DEMO_PASSWORD, ["clerk"], ["window"], region=JIANGYIN,
                        display_name="受理窗口 王芳")
    first = engine.users.sign_in("window", DEMO_PASSWORD, "token", None).principal
    scenario.at(jy.FRIDAY)
    case = scenario.start(PROCESS, application(), "JY-LAPSE-1", actor="window")
    act(case, "Task_CheckMaterials", first, {"materials_complete": "no", "missing_materials": "户口簿复印件"})
    case.send_message("supplementary_documents", {"documents": ["户口簿复印件"]})
    assert row(engine, case, "Task_CheckMaterials").assignee == "window"

    def listed() -> str:
        page = site.call("GET", "/tasks?tab=groups", as_="jy-window-wang").text
        return next(r for r in page.split("<tr") if "JY-LAPSE-1" in r)

    assert "受理窗口 王敏" in listed() and "首问预留已过期" not in listed()
    case.advance(working_days=1)
    assert "首问预留已过期" in listed()
