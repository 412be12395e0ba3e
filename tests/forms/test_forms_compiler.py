"""Server-side validation of submissions against the compiled form (X-FORMS, W-FORM)."""

from __future__ import annotations

import pytest
from marshmallow import Schema

from engine.errors import ValidationFailed
from engine.forms import compile_form, load_form, validate_submission
from engine.forms.compiler import DEFAULT_MAX_TEXT

REQUIRED = "必填 (required)"


def form(*components):
    return load_form({"type": "default", "id": "t", "components": list(components)}, file="t.json")


def errors(defn, data, **kwargs):
    with pytest.raises(ValidationFailed) as info:
        validate_submission(defn, data, **kwargs)
    assert info.value.code == "validation_failed"
    fields = info.value.details["fields"]
    for messages in fields.values():
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)
    return fields


def opts(*values):
    return [{"label": str(v), "value": v} for v in values]


ALL = form(
    {"type": "text", "text": "说明"},
    {"type": "textfield", "key": "name"},
    {"type": "textarea", "key": "reason"},
    {"type": "number", "key": "size"},
    {"type": "checkbox", "key": "agree"},
    {"type": "checklist", "key": "aid", "values": opts("dibao", "medical", "temporary")},
    {"type": "radio", "key": "ok", "values": opts("yes", "no")},
    {"type": "select", "key": "dept", "values": opts("civil-affairs", "education")},
    {"type": "taglist", "key": "tags", "values": opts("urgent", "elderly")},
    {"type": "datetime", "key": "on", "subtype": "date"},
    {"type": "datetime", "key": "at", "subtype": "time"},
    {"type": "datetime", "key": "when", "subtype": "datetime"},
    {"type": "group", "components": [{"type": "number", "key": "inner"}]},
    {"type": "button", "action": "submit"},
)


def test_X_FORMS_converts_every_component_type():
    cleaned = validate_submission(ALL, {
        "name": "张三", "reason": "因病致贫\n需要救助", "size": "3", "agree": True,
        "aid": ["medical", "dibao", "medical"], "ok": "yes", "dept": "education", "tags": ["elderly"],
        "on": "2026-11-02", "at": "09:30", "when": "2026-11-02T09:30:00+08:00", "inner": 2.5,
    })
    assert cleaned == {
        "name": "张三", "reason": "因病致贫\n需要救助", "size": 3, "agree": True,
        "aid": ["medical", "dibao"], "ok": "yes", "dept": "education", "tags": ["elderly"],
        "on": "2026-11-02", "at": "09:30", "when": "2026-11-02T09:30+08:00", "inner": 2.5,
    }
    assert isinstance(cleaned["size"], int)


def test_X_FORMS_returns_only_submitted_keys():
    assert validate_submission(ALL, {}) == {}
    assert validate_submission(ALL, {"size": None, "name": ""}) == {"size": None, "name": ""}


@pytest.mark.parametrize("key, value", [
    ("name", 3), ("reason", ["a"]), ("size", "three"), ("size", True), ("size", float("nan")),
    ("size", 1e20), ("size", "1e3"), ("agree", "yes"), ("agree", 1.5), ("aid", "dibao"), ("aid", ["gold"]),
    ("ok", "maybe"), ("ok", True), ("dept", ["education"]), ("tags", [1]), ("on", "2026-02-30"),
    ("on", "20261102"), ("on", "2026-11-02T09:00"), ("at", "25:00"), ("at", "9:30"),
    ("when", "2026-11-02"), ("when", "2026-11-02 09:30"), ("inner", {}),
])
def test_X_FORMS_rejects_values_of_the_wrong_type(key, value):
    assert list(errors(ALL, {key: value})) == [key]


def test_X_FORMS_empty_string_is_empty_for_non_text_fields():
    cleaned = validate_submission(ALL, {"size": "", "on": "", "dept": ""})
    assert cleaned == {"size": None, "on": None, "dept": None}


def test_X_FORMS_checkbox_accepts_string_booleans():
    assert validate_submission(ALL, {"agree": "false"}) == {"agree": False}


def test_X_FORMS_options_compare_by_type():
    defn = form({"type": "select", "key": "n", "values": opts(1, 2)})
    assert validate_submission(defn, {"n": 1}) == {"n": 1}
    assert "n" in errors(defn, {"n": "1"})


def test_X_FORMS_checklist_names_the_bad_items():
    message = errors(ALL, {"aid": ["dibao", "gold", "silver"]})["aid"][0]
    assert "'gold'" in message and "'silver'" in message and "dibao" not in message


@pytest.mark.parametrize("ctype, extra, empty", [
    ("textfield", {}, None), ("textfield", {}, ""), ("textfield", {}, "   "), ("textarea", {}, ""),
    ("number", {}, None), ("number", {}, ""), ("checklist", {"values": opts("a")}, []),
    ("taglist", {"values": opts("a")}, []), ("select", {"values": opts("a")}, ""),
    ("radio", {"values": opts("a")}, None), ("datetime", {"subtype": "date"}, ""),
])
def test_X_FORMS_required_rejects_missing_and_empty(ctype, extra, empty):
    defn = form({"type": ctype, "key": "f", "validate": {"required": True}, **extra})
    assert errors(defn, {}) == {"f": [REQUIRED]}
    assert errors(defn, {"f": empty}) == {"f": [REQUIRED]}


def test_X_FORMS_required_checkbox_must_be_checked():
    defn = form({"type": "checkbox", "key": "promise", "validate": {"required": True}})
    assert errors(defn, {"promise": False}) == {"promise": ["必须勾选 (must be checked)"]}
    assert validate_submission(defn, {"promise": True}) == {"promise": True}


def test_X_FORMS_partial_skips_required_but_checks_values():
    defn = form({"type": "textfield", "key": "a", "validate": {"required": True}},
                {"type": "number", "key": "b", "validate": {"required": True, "max": 5}})
    assert validate_submission(defn, {"b": 3}, partial=True) == {"b": 3}
    assert list(errors(defn, {"b": 9}, partial=True)) == ["b"]


def test_X_FORMS_min_and_max_length_count_trimmed_text():
    defn = form({"type": "textfield", "key": "t", "validate": {"minLength": 2, "maxLength": 4}})
    assert validate_submission(defn, {"t": " ab "}) == {"t": " ab "}
    assert errors(defn, {"t": "a"}) == {"t": ["至少 2 个字符 (at least 2 characters)"]}
    assert errors(defn, {"t": "abcde"}) == {"t": ["最多 4 个字符 (at most 4 characters)"]}
    assert validate_submission(defn, {"t": ""}) == {"t": ""}  # optional: length rules skip empty


def test_X_FORMS_text_without_max_length_is_still_capped():
    defn = form({"type": "textarea", "key": "t"})
    assert validate_submission(defn, {"t": "字" * DEFAULT_MAX_TEXT})
    assert "t" in errors(defn, {"t": "字" * (DEFAULT_MAX_TEXT + 1)})


def test_X_FORMS_number_min_max_and_decimals():
    defn = form({"type": "number", "key": "n", "decimalDigits": 2, "validate": {"min": 0, "max": 30}})
    assert validate_submission(defn, {"n": 0}) == {"n": 0}
    assert validate_submission(defn, {"n": "12.50"}) == {"n": 12.5}
    assert validate_submission(defn, {"n": 30.0}) == {"n": 30}
    assert errors(defn, {"n": -1}) == {"n": ["不能小于 0 (must be at least 0)"]}
    assert errors(defn, {"n": 30.5}) == {"n": ["不能大于 30 (must be at most 30)"]}
    assert "n" in errors(defn, {"n": 1.234})


def test_X_FORMS_pattern_must_match_whole_value():
    defn = form({"type": "textfield", "key": "code", "validate": {"pattern": "[A-Z]{2}[0-9]{4}"}})
    assert validate_submission(defn, {"code": "JY2021"}) == {"code": "JY2021"}
    for bad in ("JY20211", "xJY2021", "jy2021"):
        assert errors(defn, {"code": bad}) == {"code": ["格式不正确 (does not match the required pattern)"]}


def test_X_FORMS_validation_type_email_and_phone():
    defn = form({"type": "textfield", "key": "mail", "validate": {"validationType": "email"}},
                {"type": "textfield", "key": "tel", "validate": {"validationType": "phone"}})
    assert validate_submission(defn, {"mail": "a@jy.gov.cn", "tel": "+8613912345678"}) == \
        {"mail": "a@jy.gov.cn", "tel": "13912345678"}
    assert set(errors(defn, {"mail": "nobody", "tel": "0510-8680"})) == {"mail", "tel"}


def test_X_FORMS_rejects_invalid_id_number_in_a_form():
    defn = form({"type": "textfield", "key": "applicant_id_number", "properties": {"format": "cn-id-number"}})
    assert errors(defn, {"applicant_id_number": "110105194912310021"}) == \
        {"applicant_id_number": ["公民身份号码无效 (invalid resident ID number)"]}
    assert validate_submission(defn, {"applicant_id_number": " 11010519491231002x"}) == \
        {"applicant_id_number": "11010519491231002X"}


def test_X_FORMS_cn_mobile_format():
    defn = form({"type": "textfield", "key": "applicant_phone", "properties": {"format": "cn-mobile"}})
    cleaned = validate_submission(defn, {"applicant_phone": "+86 13812345678"})
    assert cleaned == {"applicant_phone": "13812345678"}
    assert errors(defn, {"applicant_phone": "12345678901"}) == \
        {"applicant_phone": ["手机号码无效 (invalid mobile number)"]}


def test_X_FORMS_rejects_unknown_field():
    assert errors(ALL, {"name": "a", "is_admin": True}) == {"is_admin": ["未知字段 (unknown field)"]}


def test_X_FORMS_display_components_carry_no_data():
    defn = form({"type": "text", "id": "Intro", "text": "x"}, {"type": "button", "key": "submit"})
    assert errors(defn, {"Intro": "x", "submit": True}).keys() == {"Intro", "submit"}


@pytest.mark.parametrize("flag", ["readonly", "disabled"])
def test_X_FORMS_rejects_readonly_and_disabled_fields(flag):
    defn = form({"type": "textfield", "key": "case_no", flag: True, "validate": {"required": True}},
                {"type": "textfield", "key": "note"})
    assert validate_submission(defn, {"note": "x"}) == {"note": "x"}  # required does not apply
    assert errors(defn, {"case_no": "JY-1", "note": "x"}) == \
        {"case_no": ["只读字段，不可提交 (read-only field, may not be submitted)"]}


def test_X_FORMS_reports_one_entry_per_bad_field():
    defn = form({"type": "textfield", "key": "a", "validate": {"required": True}},
                {"type": "number", "key": "b", "validate": {"max": 1}},
                {"type": "radio", "key": "c", "values": opts("x")})
    with pytest.raises(ValidationFailed) as info:
        validate_submission(defn, {"b": 2, "c": "y", "d": 1})
    assert set(info.value.details["fields"]) == {"a", "b", "c", "d"}
    assert all(len(m) == 1 for m in info.value.details["fields"].values())
    assert "a, b, c, d" in info.value.message


@pytest.mark.parametrize("data", [[1, 2], "text", None])
def test_X_FORMS_submission_must_be_an_object(data):
    assert "_schema" in errors(ALL, data)


HIDDEN = form(
    {"type": "radio", "key": "eligible", "values": opts("yes", "no"), "validate": {"required": True}},
    {"type": "textarea", "key": "refusal_reason", "validate": {"required": True, "maxLength": 5},
     "conditional": {"hide": '=eligible != "no"'}},
    {"type": "group", "conditional": {"hide": '=eligible != "yes"'}, "components": [
        {"type": "select", "key": "dept", "values": opts("civil-affairs"), "validate": {"required": True}},
    ]},
    {"type": "number", "key": "size"},
    {"type": "textfield", "key": "big_note", "conditional": {"hide": "=size <= 5"}},
)


def test_X_FORMS_hidden_field_is_not_required():
    assert validate_submission(HIDDEN, {"eligible": "yes", "dept": "civil-affairs"}) == \
        {"eligible": "yes", "dept": "civil-affairs"}
    assert errors(HIDDEN, {"eligible": "no"}) == {"refusal_reason": [REQUIRED]}


def test_X_FORMS_hidden_field_value_is_dropped_even_if_invalid():
    cleaned = validate_submission(HIDDEN, {"eligible": "yes", "dept": "civil-affairs",
                                           "refusal_reason": "far too long a reason"})
    assert "refusal_reason" not in cleaned


def test_X_FORMS_group_condition_hides_its_children():
    cleaned = validate_submission(HIDDEN, {"eligible": "no", "refusal_reason": "不符合", "dept": "nonsense"})
    assert cleaned == {"eligible": "no", "refusal_reason": "不符合"}


def test_X_FORMS_conditions_see_converted_values():
    assert validate_submission(HIDDEN, {"eligible": "no", "refusal_reason": "x", "size": "9",
                                        "big_note": "n"})["big_note"] == "n"
    assert "big_note" not in validate_submission(HIDDEN, {"eligible": "no", "refusal_reason": "x",
                                                          "size": "3", "big_note": "n"})


def test_X_FORMS_conditions_may_read_case_data_from_context():
    defn = form({"type": "textfield", "key": "hotline_ticket", "validate": {"required": True},
                 "conditional": {"hide": '=channel != "hotline"'}})
    assert validate_submission(defn, {}, context={"channel": "window"}) == {}
    assert errors(defn, {}, context={"channel": "hotline"}) == {"hotline_ticket": [REQUIRED]}


def test_X_FORMS_a_validation_leaves_nothing_behind_for_the_next():
    """The schema object is reused per thread: no error, value or case data of one
    submission may reach the next one."""
    defn = form({"type": "textfield", "key": "hotline_ticket", "validate": {"required": True},
                 "conditional": {"hide": '=channel != "hotline"'}},
                {"type": "number", "key": "size", "validate": {"required": True}})
    assert errors(defn, {}, context={"channel": "hotline"}) == {"hotline_ticket": [REQUIRED], "size": [REQUIRED]}
    assert validate_submission(defn, {"size": "3"}, context={"channel": "window"}) == {"size": 3}
    assert validate_submission(defn, {"size": 4}) == {"size": 4}  # no context: the hotline's is gone
    assert errors(defn, {"size": 5}, context={"channel": "hotline"}) == {"hotline_ticket": [REQUIRED]}
    assert validate_submission(defn, {"size": 6, "hotline_ticket": "T-1"}, context={"channel": "hotline"}) == {
        "size": 6, "hotline_ticket": "T-1"}


def test_X_FORMS_compiled_schema_is_cached_per_definition():
    schema = compile_form(ALL)
    assert issubclass(schema, Schema)
    assert compile_form(ALL) is schema
    assert compile_form(form({"type": "textfield", "key": "name"})) is not schema


def test_X_FORMS_compiled_schema_loads_directly():
    assert compile_form(ALL)().load({"size": "4"}) == {"size": 4}


def test_X_FORMS_keys_that_shadow_schema_attributes_work():
    defn = form({"type": "textfield", "key": "fields"}, {"type": "textfield", "key": "load"},
                {"type": "textfield", "key": "f0"}, {"type": "textfield", "key": "Meta"})
    data = {"fields": "a", "load": "b", "f0": "c", "Meta": "d"}
    assert validate_submission(defn, data) == data


W_FORM_REGISTRATION = form(
    {"type": "textfield", "key": "applicant_name", "validate": {"required": True, "maxLength": 50}},
    {"type": "textfield", "key": "applicant_phone", "validate": {"required": True},
     "properties": {"format": "cn-mobile"}},
    {"type": "textfield", "key": "applicant_address", "validate": {"required": True, "maxLength": 200}},
    {"type": "textarea", "key": "reason", "validate": {"required": True, "maxLength": 1000}},
    {"type": "checklist", "key": "aid_types", "validate": {"required": True},
     "values": opts("dibao", "tekun", "disaster", "temporary", "medical", "education", "housing",
                    "employment")},
    {"type": "number", "key": "review_days", "decimalDigits": 0,
     "validate": {"required": True, "min": 0, "max": 30}},
    {"type": "select", "key": "transfer_department", "validate": {"required": True},
     "values": opts("civil-affairs", "health", "hrss", "education", "housing")},
    {"type": "textfield", "key": "acceptance_signer", "validate": {"required": True}},
    {"type": "datetime", "key": "acceptance_date", "subtype": "date", "validate": {"required": True}},
)


def test_W_FORM_registration_form_accepts_a_complete_registration():
    cleaned = validate_submission(W_FORM_REGISTRATION, {
        "applicant_name": "李四", "applicant_phone": "15912345678", "applicant_address": "乌海市海勃湾区",
        "reason": "突发重病", "aid_types": ["medical", "temporary"], "review_days": "2",
        "transfer_department": "health", "acceptance_signer": "王五", "acceptance_date": "2026-11-02",
    })
    assert cleaned["review_days"] == 2 and cleaned["aid_types"] == ["medical", "temporary"]


def test_W_FORM_registration_form_names_every_missing_or_bad_field():
    fields = errors(W_FORM_REGISTRATION, {"applicant_name": "李四", "applicant_phone": "5912345678",
                                          "review_days": 1.5, "aid_types": ["tea"]})
    assert set(fields) == {"applicant_phone", "applicant_address", "reason", "aid_types", "review_days",
                           "transfer_department", "acceptance_signer", "acceptance_date"}


def test_issue9_a_catastrophic_pattern_is_matched_in_linear_time(watchdog):
    """`(a+)+$` against 34 `a` and `!`: minutes of backtracking in Python's `re` (holding
    the GIL: every request froze); RE2 answers at once, with the same verdicts."""
    from engine.errors import ValidationFailed
    from engine.forms import load_form, validate_submission

    form = load_form({"type": "default", "components": [
        {"type": "textfield", "key": "code", "label": "代码", "validate": {"pattern": "(a+)+$"}}]})
    with pytest.raises(ValidationFailed) as err:
        validate_submission(form, {"code": "a" * 34 + "!"})
    assert list(err.value.details["fields"]) == ["code"]
    assert validate_submission(form, {"code": "a" * 34}) == {"code": "a" * 34}
