"""Loading and checking form-js definitions: problems name the file and the component."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import DefinitionInvalid
from engine.forms import FormDefinition, form_data_keys, load_form

ROOT = Path(__file__).resolve().parents[2]


def form(*components, **top):
    return {"type": "default", "id": "t", "schemaVersion": 16, **top, "components": list(components)}


def problems(source, file="t.json"):
    with pytest.raises(DefinitionInvalid) as info:
        load_form(source, file=file)
    err = info.value
    assert err.code == "definition_invalid"
    for p in err.details["problems"]:
        assert set(p) >= {"file", "element", "message"}
        assert p["file"] == file
    return err.details["problems"]


def one_problem(source):
    found = problems(source)
    assert len(found) == 1, found
    return found[0]


def test_X_FORMS_loads_every_component_type():
    defn = load_form(form(
        {"type": "text", "text": "# 标题"},
        {"type": "html", "content": "<p>说明</p>"},
        {"type": "spacer", "height": 30},
        {"type": "separator"},
        {"type": "image", "source": "/static/logo.png"},
        {"type": "textfield", "key": "name", "label": "姓名"},
        {"type": "textarea", "key": "reason"},
        {"type": "number", "key": "size", "decimalDigits": 0},
        {"type": "checkbox", "key": "agree"},
        {"type": "checklist", "key": "aid", "values": [{"label": "低保", "value": "dibao"}]},
        {"type": "radio", "key": "ok", "values": [{"label": "是", "value": "yes"}]},
        {"type": "select", "key": "dept", "values": [{"label": "民政", "value": "civil-affairs"}]},
        {"type": "taglist", "key": "tags", "values": [{"label": "急", "value": "urgent"}]},
        {"type": "datetime", "key": "on", "subtype": "date"},
        {"type": "datetime", "key": "at", "subtype": "time"},
        {"type": "datetime", "key": "when", "subtype": "datetime"},
        {"type": "group", "label": "组", "components": [{"type": "textfield", "key": "inner"}]},
        {"type": "button", "action": "submit", "label": "提交"},
        {"type": "button", "action": "reset", "label": "重置"},
    ), file="all.json")
    assert isinstance(defn, FormDefinition)
    assert defn.id == "t" and defn.file == "all.json"
    assert form_data_keys(defn) == ["name", "reason", "size", "agree", "aid", "ok", "dept", "tags",
                                    "on", "at", "when", "inner"]
    assert defn.get_field("inner").path == "components[16].components[0]"
    assert defn.get_field("size").decimal_digits == 0
    assert defn.get_field("dept").options == ("civil-affairs",)
    assert defn.raw["components"][0]["type"] == "text"


def test_X_FORMS_loads_from_a_path_and_from_bytes(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(json.dumps(form({"type": "textfield", "key": "a"})), encoding="utf-8")
    assert form_data_keys(load_form(path)) == ["a"]
    assert form_data_keys(load_form(str(path))) == ["a"]
    assert load_form(path).file == str(path)
    assert form_data_keys(load_form(path.read_bytes(), file="x.json")) == ["a"]


def test_X_FORMS_form_id_defaults_to_file_stem():
    assert load_form({"components": []}, file="jiangyin/accept.json").id == "accept"


def test_X_FORMS_not_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"components": [', encoding="utf-8")
    p = one_problem(path)
    assert "not valid JSON" in p["message"]
    assert p["file"] == "t.json"


def test_X_FORMS_missing_file_is_reported(tmp_path):
    assert "cannot read" in one_problem(tmp_path / "nope.json")["message"]


@pytest.mark.parametrize("doc", [[], 3, None, b"[1]", b"\"x\""])
def test_X_FORMS_form_must_be_an_object(doc):
    assert "JSON object" in one_problem(doc)["message"]


def test_X_FORMS_missing_components():
    assert "components" in one_problem({"type": "default"})["message"]


def test_X_FORMS_data_component_without_key_names_its_path():
    p = one_problem(form({"type": "text", "text": "x"}, {"type": "textfield", "label": "姓名"}))
    assert p["element"] == "components[1]"
    assert "key" in p["message"]


def test_X_FORMS_element_is_the_id_when_there_is_no_key():
    p = one_problem(form({"type": "number", "id": "Field_size"}))
    assert p["element"] == "Field_size"


def test_X_FORMS_duplicate_keys_even_across_groups():
    p = one_problem(form({"type": "textfield", "key": "a"},
                         {"type": "group", "components": [{"type": "textarea", "key": "a"}]}))
    assert p["element"] == "a"
    assert "duplicate key" in p["message"] and "components[0]" in p["message"]


def test_X_FORMS_duplicate_component_ids():
    p = one_problem(form({"type": "textfield", "key": "a", "id": "F1"},
                         {"type": "textfield", "key": "b", "id": "F1"}))
    assert p["element"] == "b" and "duplicate component id" in p["message"]


@pytest.mark.parametrize("key", ["a.b", "_private", "1st", "姓名", "a-b", "x" * 65])
def test_X_FORMS_keys_must_be_flat_identifiers(key):
    assert "key must be" in one_problem(form({"type": "textfield", "key": key}))["message"]


def test_X_FORMS_unknown_component_type():
    p = one_problem(form({"type": "signature", "key": "sig"}))
    assert p["element"] == "sig" and "unknown component type" in p["message"]


@pytest.mark.parametrize("ctype", ["dynamiclist", "expression", "filepicker", "iframe", "table"])
def test_X_FORMS_unsupported_component_types_say_so(ctype):
    p = one_problem(form({"type": ctype, "key": "x", "components": []}))
    assert "not supported" in p["message"]


def test_X_FORMS_group_with_path_is_refused():
    p = one_problem(form({"type": "group", "id": "G", "path": "household", "components": []}))
    assert p["element"] == "G" and "path" in p["message"]


def test_X_FORMS_group_needs_components():
    assert "components" in one_problem(form({"type": "group", "id": "G"}))["message"]


@pytest.mark.parametrize("ctype", ["select", "radio", "checklist", "taglist"])
def test_X_FORMS_option_fields_need_static_values(ctype):
    p = one_problem(form({"type": ctype, "key": "pick", "valuesKey": "options_from_data"}))
    assert p["element"] == "pick" and "static" in p["message"]
    p = one_problem(form({"type": ctype, "key": "pick"}))
    assert "values" in p["message"]
    p = one_problem(form({"type": ctype, "key": "pick", "values": []}))
    assert "values" in p["message"]


def test_X_FORMS_option_values_must_be_well_formed_and_unique():
    found = problems(form({"type": "select", "key": "pick", "values": [
        {"label": "a", "value": "a"}, {"label": "b"}, "c", {"label": "a2", "value": "a"}]}))
    messages = [p["message"] for p in found]
    assert any("values[1]" in m for m in messages)
    assert any("values[2]" in m for m in messages)
    assert any("values[3]: duplicate" in m for m in messages)


def test_X_FORMS_default_value_must_be_an_option():
    p = one_problem(form({"type": "radio", "key": "r", "defaultValue": "maybe",
                          "values": [{"label": "是", "value": "yes"}]}))
    assert "defaultValue" in p["message"]


@pytest.mark.parametrize("hide", ['=sum(a) > 1', '=a.b = 1', 'a = "x"', "=a = ", "=x + 1"])
def test_X_FORMS_unsupported_hide_expression_names_the_component(hide):
    p = one_problem(form({"type": "textfield", "key": "note", "conditional": {"hide": hide}}))
    assert p["element"] == "note"
    assert "conditional.hide" in p["message"]


def test_X_FORMS_hide_on_display_components_is_checked_too():
    p = one_problem(form({"type": "text", "id": "Intro", "text": "x", "conditional": {"hide": "=f(x)"}}))
    assert p["element"] == "Intro"


def test_X_FORMS_conditional_only_knows_hide():
    assert "conditional" in one_problem(form({"type": "textfield", "key": "a",
                                              "conditional": {"show": "=true"}}))["message"]


@pytest.mark.parametrize("rules, fragment", [
    ({"minLength": 5, "maxLength": 2}, "minLength is greater"),
    ({"minLength": -1}, "minLength must be"),
    ({"maxLength": "10"}, "maxLength must be"),
    ({"pattern": "([0-9]"}, "not a valid regular expression"),
    ({"pattern": ""}, "pattern must be"),
    ({"required": "yes"}, "required must be"),
    ({"validationType": "url"}, "validationType must be"),
    ({"min": 1}, "does not apply to a textfield"),
    ({"mustBeNice": True}, "unsupported validate rule"),
])
def test_X_FORMS_bad_validate_values_on_text(rules, fragment):
    p = one_problem(form({"type": "textfield", "key": "t", "validate": rules}))
    assert p["element"] == "t" and fragment in p["message"]


@pytest.mark.parametrize("rules, fragment", [
    ({"min": 10, "max": 1}, "min is greater"),
    ({"min": True}, "min must be"),
    ({"max": float("inf")}, "max must be"),
    ({"maxLength": 3}, "does not apply to a number"),
])
def test_X_FORMS_bad_validate_values_on_number(rules, fragment):
    p = one_problem(form({"type": "number", "key": "n", "validate": rules}))
    assert fragment in p["message"]


def test_X_FORMS_validate_must_be_an_object():
    assert "validate" in one_problem(form({"type": "number", "key": "n", "validate": [1]}))["message"]


@pytest.mark.parametrize("component, fragment", [
    ({"type": "textfield", "key": "a", "properties": {"format": "passport"}}, "properties.format"),
    ({"type": "number", "key": "a", "properties": {"format": "cn-mobile"}}, "properties.format"),
    ({"type": "datetime", "key": "a", "subtype": "week"}, "subtype"),
    ({"type": "number", "key": "a", "decimalDigits": -1}, "decimalDigits"),
    ({"type": "textfield", "key": "a", "readonly": "=locked"}, "readonly"),
    ({"type": "textfield", "key": "a", "disabled": "yes"}, "disabled"),
    ({"type": "button", "action": "delete"}, "action"),
])
def test_X_FORMS_bad_component_settings(component, fragment):
    assert fragment in one_problem(form(component))["message"]


def test_X_FORMS_every_problem_is_reported_at_once():
    found = problems(form(
        {"type": "textfield"},
        {"type": "mystery", "key": "m"},
        {"type": "select", "key": "s"},
        {"type": "textfield", "key": "p", "validate": {"pattern": "("}},
    ), file="jiangyin/broken.json")
    assert [p["element"] for p in found] == ["components[0]", "m", "s", "p"]


def test_X_FORMS_message_summarises_the_problems():
    with pytest.raises(DefinitionInvalid) as info:
        load_form(form({"type": "select", "key": "dept"}), file="wuhai/transfer.json")
    assert info.value.message.startswith("wuhai/transfer.json: invalid form:")
    assert "dept" in info.value.message


def test_X_FORMS_malformed_form_file_names_the_component(tmp_path):
    path = tmp_path / "accept.json"
    path.write_text(json.dumps(form(
        {"type": "textfield", "key": "applicant_name"},
        {"type": "radio", "key": "eligible", "values": [{"label": "是", "value": "yes"}],
         "conditional": {"hide": "=channel in [\"grid\"]"}},
    ), ensure_ascii=False), encoding="utf-8")
    p = one_problem(path)
    assert p["element"] == "eligible"


def test_X_FORMS_every_form_of_the_repository_loads():
    files = sorted((ROOT / "forms").rglob("*.json"))
    for path in files:
        defn = load_form(path, file=path.relative_to(ROOT / "forms").as_posix())
        assert form_data_keys(defn), path


@pytest.mark.parametrize("component", [
    {"type": "textfield", "key": "a", "validate": {"validationType": []}},
    {"type": "textfield", "key": "a", "properties": {"format": ["cn-mobile"]}},
    {"type": "datetime", "key": "a", "subtype": {"x": 1}},
    {"type": ["textfield"], "key": "a"},
])
def test_issue9_values_of_the_wrong_json_type_are_refused_not_a_crash(component):
    """Found by fuzzing: a list where a string belongs raised TypeError (a 500 at deploy)."""
    with pytest.raises(DefinitionInvalid):
        load_form({"type": "default", "components": [component]})
