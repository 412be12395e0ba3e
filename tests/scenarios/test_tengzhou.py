"""Tengzhou: 滕政发〔2021〕3号《滕州市改革完善社会救助体制机制的实施意见》.

One test per path of `tengzhou_one_door` (workflows/tengzhou/tengzhou_one_door.bpmn):
一证申请 → 查询/导入 → 诚信承诺和授权 → 登记 → 一键核对 → 查重 → 镇（街道）窗口综合评估
→ 一体联动（多事一流程，各部门经 common_department_handling 并行办理）→ 汇总反馈
→ 转介社会力量 → 归档; with the refusal, duplicate, ineligible, dishonesty and overdue paths.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.calendar import SHANGHAI
from engine.errors import ValidationFailed
from tests.support.form_data import TOWNSHIP_CHECK, VILLAGE_VISIT, decision_record

PROCESS = "tengzhou_one_door"

# Valid 18-digit resident ID numbers (check digit per GB 11643) of Tengzhou (370481).
ZHANG = "370481196503120022"
ZHANG_SPOUSE = "370481197805211012"
ZHANG_CHILD = "370481201209080043"
WANG = "370481195201172017"
LI = "370481198306305027"
ZHAO = "370481199001010038"
SUN = "370481198808081043"
ZHOU = "370481197004152032"


@pytest.fixture(autouse=True)
def _coverage(scenario: Any) -> Any:
    yield
    scenario.record_coverage()


# ---------------------------------------------------------------- helpers
def application(id_number: str, name: str, channel: str = "window", aid_types: list[str] | None = None,
                **extra: Any) -> dict[str, Any]:
    """What the start form takes: the ID card, a phone for progress notices, the channel, the items."""
    data = {"applicant_name": name, "applicant_id_number": id_number, "applicant_phone": "13806321234",
            "channel": channel, "aid_types": aid_types or ["dibao"], "reason": "家庭成员患重病，生活困难",
            "applicant_address": "滕州市荆河街道杏坛社区5号楼1单元"}
    if channel in ("grid", "village"):
        data["helper_name"] = "刘网格员" if channel == "grid" else "陈协理员"
    data.update(extra)
    return data


def seed_three_person_household(scenario: Any, granted_aid: list[dict[str, Any]] | None = None) -> None:
    """Zhang's household in the data platform: 3 people, 900 yuan a month, resident insurance."""
    scenario.seed_household(
        ZHANG, name="张桂兰", income_monthly=600, assets=5000, medical_insurance="城乡居民基本医疗保险",
        members=[{"name": "李建国", "id_number": ZHANG_SPOUSE, "relation": "配偶", "income_monthly": 300,
                  "disability": "肢体二级", "medical_insurance": "城乡居民基本医疗保险"},
                 {"name": "李小雨", "id_number": ZHANG_CHILD, "relation": "子女",
                  "medical_insurance": "城乡居民基本医疗保险"}],
        granted_aid=granted_aid)


SIGNED = {"commitment_signed": "yes", "authorisation_signed": "yes"}
HOUSEHOLD_ASSESSMENT = {
    "household_structure": "三口之家：户主、配偶（肢体二级残疾）、在校子女",
    "health_status": "serious_illness", "labour_capacity": "partial",
    "rigid_expenses_monthly": 1800, "rigid_expense_items": ["medical", "education"],
}


def assess_eligible(case: Any, aid_types: list[str], departments: list[str], **extra: Any) -> None:
    case.complete("Task_Assess", {**HOUSEHOLD_ASSESSMENT, "eligible": "yes", "measures_aid_types": aid_types,
                                  "linkage_departments": departments,
                                  "assessment_opinion": "因病因残致困，建议综合救助", **extra})


def assess_ineligible(case: Any, reason: str, false_information: str = "no", **extra: Any) -> None:
    case.complete("Task_Assess", {**HOUSEHOLD_ASSESSMENT, "eligible": "no", "ineligible_reason": reason,
                                  "false_information": false_information,
                                  "assessment_opinion": "家庭经济状况不符合救助条件", **extra})


def department_of(case: Any, bpmn_id: str) -> str:
    return case.task(bpmn_id)["candidate_groups"][0].split(":", 1)[1]


def departments_handle(case: Any, decisions: dict[str, dict[str, Any]],
                       verification: dict[str, str] | None = None) -> None:
    """Every dispatched department takes the case and decides (common_department_handling).

    `decisions`: department code → {"approved": bool, "decision": text, "amount": number|None};
    `verification`: department code → "village" / "township" for 纵向贯通 checks (default none)."""
    verification = verification or {}
    while "Task_DeptIntake" in case.open_tasks():
        dept = department_of(case, "Task_DeptIntake")
        case.complete("Task_DeptIntake", {
            "materials_notice": f"请携带户口簿到市社会救助综合服务中心{dept}窗口",
            "handling_days": 20, "local_verification": verification.get(dept, "none")})
    while "Task_VillageReport" in case.open_tasks():
        case.complete("Task_VillageReport", {**VILLAGE_VISIT, "village_report": "入户调查属实，配偶长期卧床"})
    while "Task_TownshipReport" in case.open_tasks():
        case.complete("Task_TownshipReport", {**TOWNSHIP_CHECK, "township_report": "镇（街道）核查属实，同意上报"})
    while "Task_DeptDecision" in case.open_tasks():
        dept = department_of(case, "Task_DeptDecision")
        d = decisions[dept]
        data = {"department_approved": "yes" if d["approved"] else "no", "department_decision": d["decision"],
                **decision_record(d["approved"])}
        if d["approved"] and d.get("amount") is not None:
            data["department_amount"] = d["amount"]
        case.complete("Task_DeptDecision", data)


def sent(case: Any, topic: str, element: str) -> list[dict[str, Any]]:
    """Parameters of the completed `topic` jobs of one service task of the diagram."""
    return [j["variables"] for j in case.jobs(topic) if j["element"] == element]


def notice(case: Any, element: str) -> dict[str, Any]:
    """The one applicant notice sent by the service task `element`."""
    found = sent(case, "applicant.notify", element)
    assert len(found) == 1, f"{element}: {found}"
    return found[0]


def ledger_stages(case: Any) -> set[str]:
    return {j["variables"]["stage"] for j in case.jobs("ledger.record")}


def as_shanghai(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:  # stored as UTC without offset
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SHANGHAI)


# ---------------------------------------------------------------- paths
def test_T_ID_T_VERIFY_T_LINK_id_card_only_household_read_from_platform_items_handled_in_one_flow(scenario):
    """三（二）2 “求助申请人只需提供身份证，系统后台将根据身份证自动关联，读取求助人员家庭成员信息、
    经济状况、医保状况等数据……只要通过数据平台能够获取的信息，不再让当事人提供”；
    三（二）3 “通过‘一键核对’功能……最终形成核对报告”；三（二）4 “形成‘查询—导入—登记—派单—反馈’的
    社会救助工作链条……变‘一事一流程’为‘多事一流程’”，“及时告知或公开转办进度”。"""
    seed_three_person_household(scenario)
    case = scenario.start(
        PROCESS, application(ZHANG, "张桂兰", channel="grid", aid_types=["dibao", "medical"]),
        business_key="TZ-0001")

    # 查询: the platform supplies the household; nothing it supplies is asked again.
    assert case.jobs("household.fetch")[0]["variables"] == {"id_number": ZHANG}
    household = case.data["household_lookup"]["household"]
    assert case.data["household_lookup"]["found"] is True
    assert {m["name"] for m in household["members"]} == {"张桂兰", "李建国", "李小雨"}
    assert household["income_per_capita"] == 300
    # The grid worker who helped the applicant apply has her sign on the signature screen (T-LEVELS).
    assert case.open_tasks() == ["Task_SignCommitment"]
    assert case.task("Task_SignCommitment")["candidate_groups"] == ["grid"]
    case.complete("Task_SignCommitment", SIGNED)
    assert not case.reached("Task_CollectHousehold")

    # 登记 → 一键核对 (report from the platform's data) → 查重 (nothing granted yet).
    assert sent(case, "ledger.record", "Service_Register")[0]["stage"] == "registered"
    verify = case.jobs("eligibility.verify")[0]
    assert verify["variables"]["household"]["members"] == household["members"]
    report = case.data["verification"]["report"]
    assert report["checks"]["dibao"]["eligible"] is True and report["income_per_capita"] == 300
    assert case.data["dedup"]["clear"] is True

    # The town window assesses within 2 working days (Mon 2 Nov 2026 → Wed 4 Nov, office close).
    assert case.open_tasks() == ["Task_Assess"]
    assess = case.task("Task_Assess")
    assert assess["candidate_groups"] == ["window"]
    assert as_shanghai(assess["due_at"]) == dt.datetime(2026, 11, 4, 17, 30, tzinfo=SHANGHAI)
    assess_eligible(case, ["dibao", "medical"], ["civil-affairs", "medical-security"],
                    proposed_services=["resource_linking"])

    # 派单: both departments at once, and the applicant is told where the case went.
    assert notice(case, "Service_NotifyProgress") == {
        "template": "dispatched", "message": "民政局、医疗保障局"}
    assert sorted(j["variables"]["department"] for j in case.jobs("department.dispatch")) == [
        "civil-affairs", "medical-security"]
    assert sorted(case.open_tasks()) == ["Task_DeptIntake", "Task_DeptIntake"]
    departments_handle(case, {
        "civil-affairs": {"approved": True, "decision": "纳入最低生活保障，按月发放", "amount": 1350},
        "medical-security": {"approved": True, "decision": "住院自付费用按70%救助", "amount": 8200},
    }, verification={"civil-affairs": "village"})
    assert case.reached("Task_VillageReport") and case.reached("Task_TownshipReport")

    # 反馈: the city centre summarises and tells the applicant; the case is archived.
    assert case.open_tasks() == ["Task_Summarise"]
    assert case.task("Task_Summarise")["candidate_groups"] == ["county-centre"]
    results = {r["department"]: r for r in case.data["department_results"]}
    assert results["civil-affairs"]["approved"] is True and results["civil-affairs"]["amount"] == 1350
    assert results["medical-security"]["amount"] == 8200
    summary = "低保每月1350元；医疗救助8200元"
    case.complete("Task_Summarise", {"summary_opinion": summary, "service_need": "no"})
    assert notice(case, "Service_NotifyResult") == {"template": "result", "message": summary}
    assert sent(case, "ledger.record", "Service_Archive")[0]["stage"] == "archived"
    assert case.jobs("referral.dispatch") == []
    assert case.reached("End_Completed")
    assert case.status == "completed"


def test_T_ID_T_MOBILE_T_ASSESS_household_unknown_to_platform_collected_by_hand_then_refused(scenario):
    """三（二）1 推动救助服务向移动端延伸，实现“掌上办”；三（二）2 平台读取不到的家庭信息才入户采集；
    三（二）1 窗口“根据申请人困难情况、致贫原因，统筹考虑家庭人口结构、健康状况、劳动能力和劳动条件、
    刚性支出等因素，综合评估救助需求”；不符合条件的告知理由。"""
    case = scenario.start(PROCESS, application(WANG, "王德胜", channel="mobile", aid_types=["dibao"]),
                          business_key="TZ-0002")

    assert case.data["household_lookup"]["found"] is False
    assert case.open_tasks() == ["Task_CollectHousehold"]
    assert case.task("Task_CollectHousehold")["candidate_groups"][0] == "village"
    case.complete("Task_CollectHousehold", {
        "household_size": 2, "household_members_text": "王德胜 户主 370481195201172017\n王秀英 配偶",
        "income_monthly": 4000, "assets": 20000, "medical_insurance": "resident",
        "collection_note": "协理员入户调查"})
    # A phone application's signature is checked by the town window.
    assert case.task("Task_SignCommitment")["candidate_groups"] == ["window"]
    case.complete("Task_SignCommitment", SIGNED)

    verified = case.jobs("eligibility.verify")[0]["variables"]["household"]
    assert verified["source"] == "manual" and verified["income_per_capita"] == 2000
    assert case.data["verification"]["eligible"] is False
    reason = "家庭人均月收入2000元，高于本市最低生活保障标准"
    assess_ineligible(case, reason)

    assert notice(case, "Service_NotifyIneligible") == {"template": "refusal", "message": reason}
    assert "dishonesty_record" not in ledger_stages(case)
    assert case.jobs("department.dispatch") == []
    assert case.reached("End_Ineligible")
    assert case.status == "completed"


def test_T_ID_T_CREDIT_refusing_the_commitment_or_authorisation_ends_the_case_with_a_notice(scenario):
    """三（二）2 “通过签字屏签订诚信承诺书和经济状况授权书就完成救助事项的申请”；
    二（三）“全面推行申请申报社会救助事项守信承诺制度”。没有授权便无法核对经济状况。"""
    scenario.seed_household(LI, name="李玉梅", income_monthly=800)
    case = scenario.start(PROCESS, application(LI, "李玉梅"), business_key="TZ-0003")
    assert case.task("Task_SignCommitment")["candidate_groups"] == ["window"]
    case.complete("Task_SignCommitment", {"commitment_signed": "yes", "authorisation_signed": "no",
                                          "refusal_note": "不同意查询银行存款"})

    told = notice(case, "Service_NotifyNotSigned")
    assert told["template"] == "refusal" and "未签订诚信承诺书和家庭经济状况核对授权书" in told["message"]
    assert case.jobs("eligibility.verify") == []
    assert case.reached("End_NotSigned")
    assert case.status == "completed"


def test_T_DEDUP_items_already_granted_are_dropped_and_the_rest_is_handled(scenario):
    """二（一）“避免重复救助、多头救助和遗漏救助等现象的发生”：已享受的救助事项剔除，其余事项继续办理。"""
    seed_three_person_household(scenario, granted_aid=[{"aid_type": "dibao", "since": "2025-07-01"}])
    case = scenario.start(PROCESS, application(ZHANG, "张桂兰", aid_types=["dibao", "medical"]),
                          business_key="TZ-0004")
    case.complete("Task_SignCommitment", SIGNED)

    assert case.data["dedup"]["clear"] is False
    assert [d["aid_type"] for d in case.data["dedup"]["duplicates"]] == ["dibao"]
    assert case.open_tasks() == ["Task_ResolveDuplicates"]
    case.complete("Task_ResolveDuplicates", {"duplicate_action": "drop",
                                             "duplicate_note": "已享受最低生活保障，剔除低保事项"})
    assert case.data["aid_types"] == ["medical"]
    assert case.data["dropped_aid_types"] == ["dibao"]

    assess_eligible(case, ["medical"], ["medical-security"])
    assert [j["variables"]["department"] for j in case.jobs("department.dispatch")] == ["medical-security"]
    departments_handle(case, {"medical-security": {"approved": True, "decision": "医疗救助", "amount": 5000}})
    case.complete("Task_Summarise", {"summary_opinion": "医疗救助5000元", "service_need": "no"})
    assert case.reached("End_Completed")
    assert case.status == "completed"


def test_T_DEDUP_all_items_already_granted_stops_the_case_and_tells_the_applicant(scenario):
    """二（一）避免重复救助：所申请事项均已享受的，终止本次申请并告知申请人。"""
    scenario.seed_household(ZHAO, name="赵刚", income_monthly=500,
                            granted_aid=[{"aid_type": "dibao", "since": "2024-03-01"}])
    case = scenario.start(PROCESS, application(ZHAO, "赵刚", channel="village", aid_types=["dibao"]),
                          business_key="TZ-0005")
    # The village assistant who applied for him (帮办代办) has him sign.
    assert case.task("Task_SignCommitment")["candidate_groups"] == ["village"]
    case.complete("Task_SignCommitment", SIGNED)
    note = "自2024年3月起已享受最低生活保障"
    case.complete("Task_ResolveDuplicates", {"duplicate_action": "stop", "duplicate_note": note})

    assert notice(case, "Service_NotifyDuplicate") == {
        "template": "refusal", "message": "所申请事项均已享受（避免重复救助）：" + note}
    assert not case.reached("Task_Assess")
    assert case.reached("End_Duplicate")
    assert case.status == "completed"


def test_T_CREDIT_concealed_income_is_recorded_as_dishonesty_and_the_applicant_refused(scenario):
    """二（三）“全面推行申请申报社会救助事项守信承诺制度和失信记录制度”：隐瞒或虚报家庭信息的，
    记入失信记录，并告知不予救助的理由。"""
    scenario.seed_household(SUN, name="孙丽", income_monthly=700)
    case = scenario.start(PROCESS, application(SUN, "孙丽"), business_key="TZ-0006")
    case.complete("Task_SignCommitment", SIGNED)
    assess_ineligible(case, "入户核实有经营性收入未申报，家庭人均收入超过标准", false_information="yes",
                      credit_note="隐瞒个体经营收入约每月3000元")

    assert sent(case, "ledger.record", "Service_CreditRecord") == [
        {"stage": "dishonesty_record", "summary": "隐瞒个体经营收入约每月3000元"}]
    assert notice(case, "Service_NotifyIneligible") == {
        "template": "refusal", "message": "入户核实有经营性收入未申报，家庭人均收入超过标准"}
    assert case.reached("End_Ineligible")
    assert case.status == "completed"


def test_T_SOCIAL_service_needs_are_referred_to_a_social_organisation(scenario):
    """三（三）1 “通过政府购买服务的形式，引入专业社会力量……为社会救助对象提供心理疏导、精神慰藉、
    资源链接、能力提升、社会融入等服务”：物质类救助+服务类救助。"""
    scenario.seed_household(ZHOU, name="周海", income_monthly=900)
    case = scenario.start(PROCESS, application(ZHOU, "周海", aid_types=["temporary"]), business_key="TZ-0007")
    case.complete("Task_SignCommitment", SIGNED)
    assess_eligible(case, ["temporary"], ["civil-affairs"], proposed_services=["counselling"])
    refused = "不符合临时救助条件：无突发性困难"
    departments_handle(case, {"civil-affairs": {"approved": False, "decision": refused}})
    assert case.data["department_results"] == [
        {"department": "civil-affairs", "approved": False, "decision": refused, "amount": None}]

    organisation = "滕州市善德社会工作服务中心"
    case.complete("Task_Summarise", {
        "summary_opinion": "临时救助不予批准；转介心理疏导服务", "service_need": "yes",
        "service_types": ["counselling", "emotional_support"], "referral_organisation": organisation})
    referral = case.jobs("referral.dispatch")[0]
    assert referral["variables"] == {"organisation": organisation,
                                     "reason": "服务类救助：心理疏导、精神慰藉"}
    assert referral["result"]["organisation"] == organisation
    assert notice(case, "Service_NotifyResult")["template"] == "result"
    assert notice(case, "Service_NotifyReferral") == {"template": "referral", "message": organisation}
    assert "archived" in ledger_stages(case)
    assert case.reached("End_Completed")


def test_T_LINK_overdue_household_assessment_is_supervised_and_the_applicant_told(scenario):
    """三（二）1 “建立首问负责、一次性告知、限时办理等制度”；三（二）4 “规范办理时限，加强结果跟踪”。
    窗口综合评估默认2个工作日（文件未规定天数），逾期督办并告知申请人，评估任务保持待办。"""
    scenario.seed_household(ZHANG, name="张桂兰", income_monthly=600)
    case = scenario.start(PROCESS, application(ZHANG, "张桂兰"), business_key="TZ-0008")
    case.complete("Task_SignCommitment", SIGNED)
    case.advance(working_days=1)
    assert case.open_tasks() == ["Task_Assess"]

    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_Assess", "Task_Supervise"]
    assert case.task("Task_Supervise")["candidate_groups"] == ["supervisor"]
    assert notice(case, "Service_NotifyDelay")["template"] == "delay_notice"
    assert notice(case, "Service_NotifyDelay")["message"] == (
        "您的申请办理已超过规定时限，市社会救助综合服务中心正在督办")
    case.complete("Task_Supervise", {"supervision_action": "urged", "delay_reason": "评估人员下村入户",
                                     "supervision_opinion": "限当日完成综合评估"})
    assert case.reached("End_Supervised")
    assert case.status == "running"

    assess_ineligible(case, "家庭人均收入高于标准")
    assert case.reached("End_Ineligible")
    assert case.status == "completed"


def test_T_ID_application_form_checks_the_id_number_and_the_phone(scenario):
    """三（二）2 一证申请凭身份证号码自动关联家庭数据：号码校验码不符或手机号无效的申请不能提交。"""
    with pytest.raises(ValidationFailed) as bad_id:
        scenario.start(PROCESS, application("370481196503120023", "张桂兰"), business_key="TZ-0009")
    assert set(bad_id.value.details["fields"]) == {"applicant_id_number"}
    with pytest.raises(ValidationFailed) as bad_phone:
        scenario.start(PROCESS, application(ZHANG, "张桂兰", applicant_phone="1380632123"),
                       business_key="TZ-0010")
    assert set(bad_phone.value.details["fields"]) == {"applicant_phone"}
