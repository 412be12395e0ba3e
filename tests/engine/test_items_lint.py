"""J-ITEMS (issue 14): the item list (workflows/items.json) and the routing tables (the
Jiangyin aid-type → department table, the Wuhai lead-department table) agree, and a deploy
that breaks the agreement, from either side, is refused naming the file and the rule or
item at fault, with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.definitions.bundle import BundleFile, read_paths
from engine.definitions.repository import check_files
from engine.errors import DefinitionInvalid, NotFound
from engine.portal import items
from engine.store.models import Deployment

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
JIANGYIN_TABLE = WORKFLOWS / "jiangyin" / "aid_department.dmn"
WUHAI_TABLE = WORKFLOWS / "wuhai" / "lead_department.dmn"


def _items(tmp_path: Path, change=None) -> Path:
    """A copy of the shipped item list, changed by `change(raw)`."""
    raw = json.loads(items.DEFAULT_PATH.read_text("utf-8"))
    if change is not None:
        change(raw)
    path = tmp_path / "items.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), "utf-8")
    return path


def _files(table: Path | None = None, replace: tuple[str, str] | None = None) -> list[BundleFile]:
    """The shipped workflows, with `replace` applied to the table `table`."""
    files = read_paths([WORKFLOWS])
    if table is None:
        return files
    content = table.read_text("utf-8")
    assert replace is not None and content.count(replace[0]) == 1, replace
    changed = content.replace(*replace).encode()
    return [BundleFile(f.name, f.kind, changed) if f.name == table.name else f for f in files]


def _problems(files: list[BundleFile], items_path: Path) -> list[dict]:
    with pytest.raises(DefinitionInvalid) as err:
        check_files(files, ROOT / "forms", items_path=items_path)
    return err.value.details["problems"]


def _item(raw: dict, key: str) -> dict:
    return next(it for it in raw["items"] if it["key"] == key)


def test_J_ITEMS_the_shipped_item_list_and_routing_tables_agree(tmp_path):
    listing = items.load()
    assert set(listing.routing_tables) == {"jiangyin_aid_department", "wuhai_lead_department"}
    check_files(read_paths([WORKFLOWS]), ROOT / "forms")  # the shipped files: nothing refused
    # Every aid type the Jiangyin table routes has its item with that department.
    table = JIANGYIN_TABLE.read_text("utf-8")
    for item in listing.items:
        assert f'<text>"{item.key}"</text>' in table, item.key
        assert item.expected_route("jiangyin_aid_department") == item.department_code


def test_J_ITEMS_a_table_row_for_an_aid_type_without_an_item_is_refused(tmp_path):
    path = _items(tmp_path, lambda raw: raw["items"].remove(_item(raw, "youth")))
    problems = _problems(_files(), path)
    assert [(p["file"], p["element"]) for p in problems] == [("aid_department.dmn", "Rule_youth")]
    assert "aid type 'youth' has no item" in problems[0]["message"]
    # The same from the table's side: a new row for an aid type nobody listed.
    problems = _problems(_files(JIANGYIN_TABLE, ('<text>"youth"</text>', '<text>"pets"</text>')), _items(tmp_path))
    messages = {p["element"]: p["message"] for p in problems}
    assert "aid type 'pets' has no item" in messages["Rule_youth"]
    # ... and 'youth' itself now falls to the fallback row, which gives no department.
    assert "item 'youth'" in messages["Rule_unclear"] and "'youth-league'" in messages["Rule_unclear"]


def test_J_ITEMS_an_item_whose_department_differs_from_the_table_is_refused(tmp_path):
    def medical_to_hrss(raw: dict) -> None:
        _item(raw, "medical")["department_code"] = "hrss"
    problems = _problems(_files(), _items(tmp_path, medical_to_hrss))
    assert [(p["file"], p["element"]) for p in problems] == [("aid_department.dmn", "Rule_medical")]
    assert "item 'medical' (医疗救助) is implemented by 'hrss'" in problems[0]["message"]
    assert "'medical-security'" in problems[0]["message"]
    # The table's side: the row changed back to the 2018 document's department.
    problems = _problems(_files(JIANGYIN_TABLE, ('<text>"medical-security"</text>', '<text>"hrss"</text>')),
                         _items(tmp_path))
    assert [(p["file"], p["element"]) for p in problems] == [("aid_department.dmn", "Rule_medical")]


def test_J_ITEMS_a_deliberate_regional_difference_must_be_written_in_the_item_list(tmp_path):
    # Wuhai's table leaves medical aid to the centre ("unclear"); the item list says so.
    assert items.load().item("medical").expected_route("wuhai_lead_department") == "unclear"

    def forget(raw: dict) -> None:
        del _item(raw, "medical")["routing"]
    problems = _problems(_files(), _items(tmp_path, forget))
    assert [(p["file"], p["element"]) for p in problems] == [("lead_department.dmn", "Rule_medical")]
    # A row removed: the item is no longer routed by a row of its own, and that is named.
    problems = _problems(_files(WUHAI_TABLE, ('"InputEntry_housing">\n          <text>"housing"',
                                                     '"InputEntry_housing">\n          <text>"housing_old"')),
                         _items(tmp_path))
    messages = {p["element"]: p["message"] for p in problems}
    assert "aid type 'housing_old' has no item" in messages["Rule_housing"]
    assert "item 'housing'" in messages["Rule_other"] and "fallback row" in messages["Rule_other"]


def test_J_ITEMS_a_row_the_linter_cannot_read_as_one_aid_type_is_refused(tmp_path):
    problems = _problems(_files(JIANGYIN_TABLE, ('<text>"legal"</text>', '<text>aid_type in ("legal",)</text>')),
                         _items(tmp_path))
    messages = {p["element"]: p["message"] for p in problems}
    assert "must name one aid type" in messages["Rule_legal"]


def test_J_ITEMS_tables_the_item_list_does_not_name_are_not_held_to_it(tmp_path):
    def unlist(raw: dict) -> None:
        del raw["routing_tables"]["jiangyin_aid_department"]
        raw["items"].remove(_item(raw, "youth"))
    check_files(read_paths([WORKFLOWS]), ROOT / "forms", items_path=_items(tmp_path, unlist))


def test_J_ITEMS_the_engine_refuses_the_deploy_and_stores_nothing(engine, tmp_path, monkeypatch):
    def medical_to_hrss(raw: dict) -> None:
        _item(raw, "medical")["department_code"] = "hrss"
    monkeypatch.setattr(engine, "items_path", _items(tmp_path, medical_to_hrss))
    files = [BundleFile("aid_department.dmn", "dmn", JIANGYIN_TABLE.read_bytes()),
             *[f for f in read_paths([WORKFLOWS]) if f.name in ("jiangyin_one_door.bpmn", "department_handling.bpmn")]]
    with engine.db.session() as s:
        before = s.scalar(sa.select(sa.func.count(Deployment.id)))
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(files, "designer")
    assert any(p["element"] == "Rule_medical" for p in err.value.details["problems"])
    with engine.db.session() as s:
        assert s.scalar(sa.select(sa.func.count(Deployment.id))) == before


def test_J_ITEMS_an_item_is_offered_only_where_the_start_form_offers_its_aid_type(engine):
    listing = items.load()
    youth = listing.item("youth")  # 团委: a Jiangyin division of labour (121号 四 11)
    assert [o.region for o in listing.offices_for(youth)] == ["320281"]
    assert len(listing.offices_for(listing.item("dibao"))) == len(listing.offices)
    with pytest.raises(NotFound) as err:
        engine.apply_online("youth", "150300", {})
    assert err.value.details == {"region": "150300"}
    # Every region an item is offered in has the item's aid type among its start form's options.
    forms = {"320281": "jiangyin/application.json", "150300": "wuhai/registration.json",
             "370481": "tengzhou/application.json"}
    for item in listing.items:
        for office in listing.offices_for(item):
            text = (ROOT / "forms" / forms[office.region]).read_text("utf-8")
            assert f'"value": "{item.key}"' in text, (item.key, office.region)


def test_J_ITEMS_the_designer_reads_the_disagreements_in_chinese(tmp_path):
    from flask import Flask
    from flask_babel import Babel

    from web.lint_messages import problems_for_page

    def medical_to_hrss(raw: dict) -> None:
        _item(raw, "medical")["department_code"] = "hrss"
        raw["items"].remove(_item(raw, "youth"))
    problems = _problems(_files(), _items(tmp_path, medical_to_hrss))
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        shown = {p["element"]: p["message"] for p in problems_for_page(problems)}
    assert shown["Rule_youth"].startswith("救助类型“youth”在事项清单")
    assert shown["Rule_medical"].startswith("事项“医疗救助”（medical）的实施部门是“hrss”")
