"""What the seeds say staff must record is in the forms, and the server refuses a submission without
it, naming the field (issue 11 §Forms; forms/ JSON is the single definition):
the decision's policy basis and aid period (J-COOP 三(二)3, W-REFUSE Annex 3 art. 2), structured village
and township reports (J-REPORT 5.5, T-LEVELS 镇级入户调查), the agent or guardian (J-AGENT 帮办代理),
the township and village of residence, household members, the signature date (W-FORM Annex 5),
a materials checklist of what was received (J-ONCE 6.1.3.2)."""

from __future__ import annotations

from typing import Any

import pytest

from api.settings import ROOT
from engine.errors import ValidationFailed
from engine.forms import load_form, validate_submission
from tests.support.form_data import ID_NUMBER, TOWNSHIP_CHECK, VILLAGE_VISIT, decision_record


def refused(path: str, data: dict[str, Any], context: dict[str, Any] | None = None) -> set[str]:
    """The fields the server names when it refuses `data` (empty when accepted)."""
    try:
        validate_submission(load_form(ROOT / "forms" / path), data, context=context or {})
    except ValidationFailed as err:
        return set((err.details or {}).get("fields", {}))
    return set()


def test_J_COOP_W_REFUSE_a_decision_names_its_policy_basis_and_an_approval_its_aid_period() -> None:
    base = {"department_approved": "yes", "department_decision": "批准", "department_amount": 500}
    assert refused("common/department_decision.json", base) == {"policy_basis", "aid_start_date",
                                                                 "aid_period_months"}
    assert refused("common/department_decision.json", {**base, **decision_record(True)}) == set()
    refusal = {"department_approved": "no", "department_decision": "收入高于标准"}
    assert refused("common/department_decision.json", refusal) == {"policy_basis"}
    assert refused("common/department_decision.json", {**refusal, **decision_record(False)}) == set()
    assert "aid_period_months" in refused("common/department_decision.json",
                                          {**base, **decision_record(True), "aid_period_months": 500})


def test_J_REPORT_village_and_township_reports_carry_date_investigators_and_household_facts() -> None:
    assert refused("common/village_report.json", {"village_report": "属实"}) == {
        "village_visit_date", "village_investigators", "village_household_facts"}
    assert refused("common/village_report.json", {**VILLAGE_VISIT, "village_report": "属实"}) == set()
    assert refused("common/township_report.json", {"township_report": "属实"}) == {
        "township_check_date", "township_checkers", "township_household_facts"}
    assert refused("common/township_report.json", {**TOWNSHIP_CHECK, "township_report": "属实"}) == set()


@pytest.mark.parametrize("path", ["jiangyin/application.json", "wuhai/registration.json",
                                  "tengzhou/application.json"])
def test_J_AGENT_W_FORM_intake_records_agent_residence_household_and_signature_date(path: str) -> None:
    keys = {f.key for f in load_form(ROOT / "forms" / path).fields}
    assert {"residence_township", "residence_village", "household_members", "household_size", "agent_type",
            "agent_name", "agent_relation", "agent_phone", "agent_id_number", "signature_date"} <= keys
    assert "applicant_address" in keys  # Tengzhou too: the village assistant visits the home
    form = load_form(ROOT / "forms" / path)
    fields = {f.key: f for f in form.fields}
    assert fields["agent_name"].required and fields["agent_relation"].required


def test_J_AGENT_an_agent_application_names_the_agent_and_checks_their_numbers() -> None:
    from tests.scenarios.test_jiangyin import application
    agent = {"agent_type": "guardian", "agent_name": "李强", "agent_relation": "儿子"}
    assert refused("jiangyin/application.json", {**application(), "agent_type": "guardian"}) == {
        "agent_name", "agent_relation"}
    assert refused("jiangyin/application.json", {**application(), **agent, "agent_phone": "0510-86123456",
                                                 "agent_id_number": ID_NUMBER, "signature_date": "2026-11-06",
                                                 "residence_township": "澄江街道", "residence_village": "人民路社区",
                                                 "household_size": 2,
                                                 "household_members": "张秀英 本人\n李强 儿子"}) == set()
    assert refused("jiangyin/application.json", {**application(), **agent, "agent_phone": "12345"}) == {
        "agent_phone"}
    assert refused("jiangyin/application.json", {**application(), "agent_type": "none"}) == set()


def test_J_ONCE_the_window_ticks_the_materials_received_from_the_list() -> None:
    ok = {"materials_complete": "yes", "materials_received": ["id_card", "income", "medical"]}
    assert refused("jiangyin/check_materials.json", ok) == set()
    assert refused("jiangyin/check_materials.json", {**ok, "materials_received": ["photo"]}) == {
        "materials_received"}
    labels = {v["value"] for c in load_form(ROOT / "forms/wuhai/window_review.json").raw["components"]
              if c.get("key") == "materials_received" for v in c["values"]}
    assert {"id_card", "income", "medical", "education", "housing", "disability"} <= labels
