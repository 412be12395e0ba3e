"""Applicant SMS texts read as sentences (POLICY_AUDIT §4 / issue 11): a reason typed with its own
full stop does not end the SMS with 「。。」, and the materials guide does not nest 「请携带」 twice."""

from __future__ import annotations

from workers.notices import TEMPLATES, render

CASE = {"applicant_name": "张秀英"}


def test_J_T2F_result_sms_ends_with_one_full_stop() -> None:
    text = render("result", CASE, "经民政局审核，自12月起享受最低生活保障每月1160元。", "JY-1")
    assert text == "【社会救助】张秀英您好，您的申请（JY-1）已办结：经民政局审核，自12月起享受最低生活保障每月1160元。"
    assert "。。" not in render("refusal", CASE, "家庭收入超过标准。", "JY-1")


def test_J_COOP_materials_guide_reads_as_one_sentence() -> None:
    text = render("materials_guide", CASE, "请携带户口簿、身份证到市民政局社会救助科", "JY-2")
    assert text == "【社会救助】张秀英您好，您的申请（JY-2）办理须知：请携带户口簿、身份证到市民政局社会救助科。"


def test_every_template_ends_a_sentence_once_whatever_the_detail() -> None:
    for name in TEMPLATES:
        for detail in ("理由一", "理由一。", None):
            text = render(name, CASE, detail, "K-1")
            assert "。。" not in text and text.count("请携带") <= 1, name
