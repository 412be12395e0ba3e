"""The SMS texts a whole case sends read as sentences (issue 11 §Forms): no 「。。」 when staff end
their text with a full stop, and the materials guide says 「请携带」 once (J-T2F, J-COOP, J-ONCE),
read from the notifications the case really stored, not from the templates alone."""

from __future__ import annotations

from tests.scenarios.test_jiangyin import accepted, decide, dispatch
from tests.support.scenario import Scenario


def test_J_T2F_J_COOP_every_notice_of_a_jiangyin_case_reads_correctly(scenario: Scenario) -> None:
    case = accepted(scenario, "JY-TEXT-1", aid_types=["dibao"])
    dispatch(case)
    case.complete("Task_DeptIntake", as_group="dept:civil-affairs", data={
        "materials_notice": "请携带户口簿、身份证到澄江街道便民服务中心3号窗口办理。",
        "handling_days": 20, "local_verification": "none"})
    decide(case, "civil-affairs", approved=True, amount=1160, decision="同意救助，自12月起每月1160元。")
    case.complete("Task_Summary", {"summary": "经民政局审核，自12月起享受最低生活保障每月1160元。", "refer": "no"})
    texts = [n.message for n in case.notifications()]
    assert len(texts) >= 3, texts
    for text in texts:
        assert "。。" not in text and text.count("请携带") <= 1 and "到携带" not in text, text
        assert text.endswith(("。", "）")), text
    assert any("办理须知：请携带户口簿、身份证到澄江街道便民服务中心3号窗口办理。" in t for t in texts)
