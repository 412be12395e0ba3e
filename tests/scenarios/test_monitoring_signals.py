"""Monitoring signals start cases (T-MONITOR, Tengzhou 二(二), 三(一)3: proactive discovery and
dynamic early-warning monitoring): each signal of the monitoring platform's JSON-lines export
(`relief data signals FILE`, api/signals.py) starts `monitoring_alert` once, in the person's
region; the township researches it within research_days (3 working days) and the village helps
with the application.

Every sequence flow of `monitoring_alert` is taken by a test here. The clock starts on Monday
2026-11-02 09:00 (Asia/Shanghai)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.signals import import_signals
from engine.store.models import Instance
from tests.support.scenario import Case, Scenario

TOWNSHIP = "320281001"  # a township of the demo county: the county's staff see its cases
ID_NUMBER = "320281198001010017"


def signal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"signal_source": "medical", "signal_id": "YB-2026-0001", "applicant_name": "郑梅",
                            "applicant_id_number": ID_NUMBER, "signal_detail": "本年度个人自付医疗费用 6.2 万元",
                            "region": TOWNSHIP}
    data.update(changes)
    return data


def export(tmp_path: Path, *signals: dict[str, Any] | str) -> Path:
    path = tmp_path / "signals.jsonl"
    path.write_text("\n".join(s if isinstance(s, str) else json.dumps(s, ensure_ascii=False) for s in signals),
                    "utf-8")
    return path


def started(scenario: Scenario, key: str) -> Case:
    [row] = [i for i in _instances(scenario) if i[1] == key]
    case = Case(scenario, row[0])
    case.run_workers()
    return case


def _instances(scenario: Scenario) -> list[tuple[str, str]]:
    with scenario.engine.db.reading() as s:
        return [(r.id, r.business_key) for r in s.execute(sa.select(Instance.id, Instance.business_key))]


def test_T_MONITOR_each_signal_starts_one_case_in_its_region_and_bad_lines_are_named(
        scenario: Scenario, tmp_path: Path) -> None:
    """T-MONITOR: a signal starts a case in the person's township with the platform's household
    data for the researcher; a bad line is refused by number and field; importing the file
    again starts nothing new."""
    scenario.seed_household(ID_NUMBER, income_monthly=900.0, name="郑梅")
    path = export(tmp_path, signal(), signal(signal_id="YB-2026-0002", applicant_id_number="12345"), "not json")
    result = import_signals(scenario.engine, path)
    assert result.started == ["JC-medical-YB-2026-0001"] and result.already == []
    assert result.refused[0].startswith("line 2:") and "applicant_id_number" in result.refused[0]
    assert result.refused[1].startswith("line 3: not JSON")
    case = started(scenario, "JC-medical-YB-2026-0001")
    assert case.instance.region == TOWNSHIP and case.instance.started_by == "monitoring"
    assert case.data["household_lookup"]["found"] is True
    assert case.task("Task_Research")["candidate_groups"] == ["township"]
    again = import_signals(scenario.engine, export(tmp_path, signal()))
    assert again.started == [] and again.already == ["JC-medical-YB-2026-0001"]
    assert len(_instances(scenario)) == 1


def test_T_MONITOR_research_leads_to_help_with_the_application(scenario: Scenario, tmp_path: Path) -> None:
    """T-MONITOR: the township finds the person eligible; the village helps with the application."""
    import_signals(scenario.engine, export(tmp_path, signal()))
    case = started(scenario, "JC-medical-YB-2026-0001")
    case.complete("Task_Research", {"research_outcome": "apply", "research_note": "因病支出型困难，符合临时救助"})
    assert case.task("Task_HelpApply")["candidate_groups"] == ["village"]
    case.complete("Task_HelpApply", {"application_key": "TZ-2026-0101"})
    assert case.reached("End_Applied")


def test_T_MONITOR_watch_none_and_late_research(scenario: Scenario, tmp_path: Path) -> None:
    """T-MONITOR / X-TIMERS: kept under watch, no need, and research past 3 working days supervised."""
    import_signals(scenario.engine, export(tmp_path, signal(), signal(signal_id="YB-2", signal_source="income"),
                                           signal(signal_id="YB-3", signal_source="disability")))
    watch, none, late = (started(scenario, k) for k in ("JC-medical-YB-2026-0001", "JC-income-YB-2",
                                                         "JC-disability-YB-3"))
    watch.complete("Task_Research", {"research_outcome": "watch", "research_note": "收入略高于标准，持续监测"})
    none.complete("Task_Research", {"research_outcome": "none", "research_note": "已由子女赡养"})
    assert watch.reached("End_Watched") and none.reached("End_NoNeed")
    late.advance(working_days=3)
    assert sorted(late.open_tasks()) == ["Task_Research", "Task_SuperviseResearch"]
    late.complete("Task_SuperviseResearch", {"delay_reason": "入户未遇", "supervision_opinion": "再次入户"})
    assert late.open_tasks() == ["Task_Research"]
