"""J-ITEMS (DB32/T 4012-2021 6.1.3.2, issue 14): a case's materials checklist is one list per
aid item applied for, from the item list's materials, each with how staff review it (form,
key points, common problems, wrong examples), counted complete per item; on the case and
materials pages, grouped by item."""

from __future__ import annotations

import pytest

from engine.materials import checklist as checklists
from engine.portal import items
from tests.scenarios.test_jiangyin import PROCESS, application
from tests.support.material_files import pdf_bytes
from tests.support.scenario import staff
from tests.web.test_materials import _session


def _groups(engine, case_id: str) -> dict[str, tuple[bool, int, list[tuple[str, int]]]]:
    found = engine.material_checklist_by_item(staff("window"), case_id)
    return {g.key: (g.complete, g.provided_count, [(m.kind, m.provided) for m in g.materials]) for g in found}


def test_J_ITEMS_every_item_material_is_a_kind_staff_can_upload():
    kinds = checklists.load().kinds()
    listing = items.load()
    for item in listing.items:
        assert item.materials, item.key
        for m in item.materials:
            assert m["kind"] in kinds, (item.key, m["name"])
            assert all(m[f] for f in items.MATERIAL_FIELDS), (item.key, m["name"])


def test_J_ITEMS_the_checklist_is_per_aid_item_and_complete_per_item(scenario, monkeypatch, tmp_path):
    engine = scenario.engine
    monkeypatch.setattr(engine, "materials_config", None)  # restored after the test: the engine is shared
    engine.configure_materials(tmp_path / "files")
    case = scenario.start(PROCESS, application(aid_types=["dibao", "medical", "other"]), "JY-ITEMS-1")
    groups = _groups(engine, case.id)
    # One checklist per item applied for, in the order applied for; 'other' has no item.
    assert list(groups) == ["dibao", "medical"]
    assert groups["dibao"] == (False, 0, [("id_card", 0), ("household_register", 0), ("authorisation", 0)])
    assert groups["medical"] == (False, 0, [("id_card", 0), ("medical_bills", 0)])
    clerk = staff("window")
    engine.upload_material(clerk, case.id, "id_card", "身份证.pdf", pdf_bytes())
    groups = _groups(engine, case.id)
    assert groups["dibao"][1] == 1 and groups["medical"][1] == 1  # brought once, counts for both items
    engine.upload_material(clerk, case.id, "medical_bills", "票据.pdf", pdf_bytes())
    groups = _groups(engine, case.id)
    assert groups["medical"][0] is True and groups["dibao"][0] is False
    engine.upload_material(clerk, case.id, "household_register", "户口簿.pdf", pdf_bytes())
    engine.upload_material(clerk, case.id, "authorisation", "授权书.pdf", pdf_bytes())
    assert _groups(engine, case.id)["dibao"][:2] == (True, 3)
    # The review guidance of 6.1.3.2 travels with each material.
    first = engine.material_checklist_by_item(clerk, case.id)[0].as_dict()
    assert first["materials"][0]["key_points"] == items.load().item("dibao").materials[0]["key_points"]
    assert first["complete"] is True and first["required"] == 3


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_J_ITEMS_case_and_materials_pages_group_the_checklist_by_item(site, scenario):
    case = scenario.start(PROCESS, application(aid_types=["dibao", "medical"]), "JY-ITEMS-WEB")
    s, token = _session(site, "window")
    r = s.post(f"{site.base}/cases/{case.id}/materials", data={"kind": "medical_bills", "csrf_token": token},
               files={"file": ("票据.pdf", pdf_bytes(), "application/pdf")}, timeout=30, allow_redirects=False)
    assert r.status_code == 302
    s.post(f"{site.base}/cases/{case.id}/materials", data={"kind": "id_card", "csrf_token": token},
           files={"file": ("身份证.pdf", pdf_bytes(), "application/pdf")}, timeout=30, allow_redirects=False)
    dibao = items.load().item("dibao")
    for path in (f"/cases/{case.id}/materials", f"/cases/{case.id}"):
        html = s.get(f"{site.base}{path}", timeout=30).text
        assert 'data-item="dibao"' in html and 'data-item="medical"' in html, path
        assert html.index('data-item="dibao"') < html.index('data-item="medical"')
        medical = html[html.index('data-item="medical"'):]
        dibao_part = html[html.index('data-item="dibao"'):html.index('data-item="medical"')]
        assert "材料齐全" in medical[:2000] and "材料齐全" not in dibao_part
        assert "1 / 3 项已提交" in dibao_part
        for field in ("form", "key_points", "common_problems", "wrong_examples"):
            assert dibao.materials[2][field] in dibao_part, (path, field)
        # What no item lists (the integrity commitment, the diagnosis) is still asked for.
        assert "其他所需材料" in html and "诚信承诺书" in html


def test_J_ITEMS_the_api_gives_the_checklist_per_item(live, scenario):
    from tests.api.test_materials_api import _upload

    case = scenario.start(PROCESS, application(aid_types=["medical", "dibao"]), "JY-ITEMS-API")
    assert _upload(live, case.id, "window", "medical_bills", "票据.pdf", pdf_bytes()).status_code == 201
    assert _upload(live, case.id, "window", "id_card", "身份证.pdf", pdf_bytes()).status_code == 201
    listing = live.call("GET", f"/api/v1/instances/{case.id}/materials", as_="leader").json()
    groups = {g["key"]: g for g in listing["by_item"]}
    assert [g["key"] for g in listing["by_item"]] == ["medical", "dibao"]
    counts = {k: (g["complete"], g["provided"], g["required"]) for k, g in groups.items()}
    assert counts == {"medical": (True, 2, 2), "dibao": (False, 1, 3)}
    expected = items.load().item("dibao").materials[1]["common_problems"]
    assert groups["dibao"]["materials"][1]["common_problems"] == expected
