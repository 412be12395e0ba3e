"""The diff of two versions' routing tables and forms (issue 13, X-DESIGN): rules and
columns by id, form fields by key, each added, removed or changed; files added/removed."""

from __future__ import annotations

import json

from engine.definitions.file_diff import diff_files
from tests.web.designer_fixtures import dmn


def _form(*components: dict) -> bytes:
    return json.dumps({"type": "default", "components": list(components)}, ensure_ascii=False).encode()


def test_X_DESIGN_table_rule_changed_added_and_removed_are_named_by_rule_id():
    old = dmn("k")
    new = dmn("k", "centre").replace('<rule id="Rule_other">', '<rule id="Rule_new"><inputEntry id="I"><text>"no"'
                                     '</text></inputEntry><outputEntry id="O"><text>"x"</text></outputEntry></rule>'
                                     '<rule id="Rule_other2">')
    changes = diff_files({"k/route.dmn": ("dmn", old.encode())}, {"k/route.dmn": ("dmn", new.encode())})
    by = {(c.part, c.ident): c for c in changes}
    assert by[("rule", "Rule_yes")].change == "changed"
    assert (by[("rule", "Rule_yes")].before, by[("rule", "Rule_yes")].after) == ('"yes" | "leader"', '"yes" | "centre"')
    assert by[("rule", "Rule_new")].change == "added" and by[("rule", "Rule_other")].change == "removed"
    assert by[("rule", "Rule_other2")].change == "added"
    assert ("input", "Input_1") not in by  # unchanged columns are not listed


def test_X_DESIGN_form_fields_by_key_and_files_added_or_removed():
    old = {"f.json": ("form", _form({"type": "textfield", "key": "a", "label": "甲"},
                                    {"type": "textfield", "key": "b", "label": "乙"})),
           "gone.json": ("form", _form())}
    new = {"f.json": ("form", _form({"type": "textfield", "key": "a", "label": "甲（改）"},
                                    {"type": "number", "key": "c", "label": "丙"})),
           "t.dmn": ("dmn", dmn("t").encode())}
    changes = {(c.file, c.ident): c for c in diff_files(old, new)}
    assert changes[("f.json", "a")].change == "changed" and changes[("f.json", "a")].label == "甲（改）"
    assert changes[("f.json", "b")].change == "removed" and changes[("f.json", "c")].change == "added"
    assert changes[("gone.json", "gone.json")].change == "removed"
    assert changes[("t.dmn", "t.dmn")].change == "added"
    assert diff_files(old, old) == []
