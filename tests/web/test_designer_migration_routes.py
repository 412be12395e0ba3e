"""Migrating running cases from the versions page with an element mapping (issue 13,
X-DESIGN, J-TRACK), on SQLite and PostgreSQL: the preview names each case, where it
stands old id → new id and why one cannot move (in Chinese), and changes nothing; the
migration with the mapping moves the case and its timeline says so; a malformed mapping
line is a 422 naming it. (Bearer tokens; the session matrix proves the CSRF check.)"""

from __future__ import annotations

from engine.auth import Principal
from engine.store.models import HumanTask, Instance
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.engine.helpers import mini_bundle, mini_xml, unique_key

WINDOW = Principal("window-1", ("clerk",), ("county-centre",))


def _renamed(key: str) -> str:
    xml = mini_xml(key)
    for old, new in (("Task_Review", "Task_Check"), ("Timer_Review", "Timer_Check")):
        xml = xml.replace(f'"{old}"', f'"{new}"').replace(f">{old}<", f">{new}<")
    return xml


def test_X_DESIGN_migration_preview_and_mapping_from_the_versions_page(engine, live):  # noqa: F811
    key = unique_key("webmap")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    waiting = engine.start(key, {}, "WMAP-1", "clerk")
    done = engine.start(key, {}, "WMAP-2", "clerk")
    with engine.db.reading() as s:
        task = s.query(HumanTask).filter(HumanTask.instance_id == done.id).one()
    engine.claim(task.id, WINDOW)
    engine.complete(task.id, {"approved": "yes"}, WINDOW)  # its review is done: at the notice job
    engine.deploy(mini_bundle(_renamed(key)), "designer")
    engine.approve_definition(key, 2, "admin")
    form = {"version": "2", "case": [waiting.id, done.id], "mapping": "Task_Review = Task_Check\nTimer_Review → "
                                                                      "Timer_Check", "action": "preview"}
    preview = live.call("POST", f"/designer/{key}/migrate", as_="designer", data=form)
    assert preview.status_code == 200, preview.text
    page = preview.text
    # With the mapping both may move: the review (open in one, done in the other) is Task_Check now.
    assert f'data-case="{waiting.id}" data-moves="yes"' in page and f'data-case="{done.id}" data-moves="yes"' in page
    assert "<code>Task_Review</code> → <code>Task_Check</code>" in page
    with engine.db.reading() as s:
        assert s.get(Instance, waiting.id).definition.version == 1  # a preview moves nothing

    # Without the mapping neither: the done case's completed review and the other's open one are gone.
    unmapped = live.call("POST", f"/designer/{key}/migrate", as_="designer",
                         data={**form, "mapping": ""}).text
    for case in (waiting, done):
        assert f'data-case="{case.id}" data-moves="no"' in unmapped
    assert "Task_Review（已完成的元素在新版本中不存在，也没有映射）" in unmapped
    assert "Task_Review（正在办理或等待的元素在新版本中不存在，也没有映射）" in unmapped
    bad = live.call("POST", f"/designer/{key}/migrate", as_="designer", data={**form, "mapping": "Task_Review"})
    assert bad.status_code == 422 and "line 1" in bad.text

    moved = live.call("POST", f"/designer/{key}/migrate", as_="designer",
                      data={**form, "case": [waiting.id], "mapping": "Task_Review = Task_Check, "
                                                                      "Timer_Review = Timer_Check", "action": ""})
    assert "已迁移 1 个案件到第 2 版" in moved.text
    with engine.db.reading() as s:
        assert s.get(Instance, waiting.id).definition.version == 2
    case_page = live.call("GET", f"/cases/{waiting.id}", as_="admin").text
    assert "迁移到新版本流程" in case_page and f"从 {key}:1 迁移到 {key}:2" in case_page
    assert "Task_Review → Task_Check" in case_page
