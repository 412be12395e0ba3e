"""Issue 10, the work list's remaining items (X-STAFF, W-SUPERVISE, J-SEC), on the live server
(pages and JSON API with a bearer token; SQLite and PostgreSQL):

- a webhook department's wait for its system's answer has no task row, yet shows in the
  overdue and due-soon lists as "等待部门回复" (page and GET /api/v1/tasks/department-waits),
  with its deadline, department, business key and a link to the case page, scoped by region
  and department like tasks, and stays overdue after its deadline timer fired;
- the task list's filters (aid type, provisional deadline, text) are the same on the page
  and in GET /api/v1/tasks, and a bad value is a 422 naming the field;
- the applicant's name is stored masked (张*英) and as a keyed token: the full name finds the
  case, a part of it does not; no clear name is left in the instances table."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import requests
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD
from engine.store.models import DepartmentWait, HumanTask, Instance
from tests.api.conftest import Client, live  # noqa: F401 - the live API server fixture
from tests.scenarios.test_common_webhook_department import answer, webhook_department  # noqa: F401 - fixture
from tests.scenarios.test_jiangyin import PROCESS, accepted, application, dispatch
from tests.support.scenario import Scenario
from tests.workers.outside import OutsideSystem


def _waits(case) -> list[DepartmentWait]:
    with case.engine.db.reading() as s:
        return list(s.scalars(sa.select(DepartmentWait).where(DepartmentWait.instance_id == case.id)))


def _page(live: Client, path: str, as_: str) -> str:  # noqa: F811
    r = live.call("GET", path, as_=as_)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return html.unescape(r.text)


def _wait_keys(live: Client, query: str, as_: str) -> list[str]:  # noqa: F811
    r = live.call("GET", f"/api/v1/tasks/department-waits?{query}", as_=as_)
    assert r.status_code == 200, r.text
    return [w["business_key"] for w in r.json()]


def test_W_SUPERVISE_X_STAFF_webhook_department_wait_is_listed_due_soon_then_overdue_in_scope(
        scenario: Scenario, live: Client,  # noqa: F811
        webhook_department: Callable[..., OutsideSystem]) -> None:  # noqa: F811
    webhook_department("hrss", handling_days=2)
    case = accepted(scenario, "JY-WAIT-1", aid_types=["employment"])
    dispatch(case)
    [wait] = _waits(case)
    assert (wait.state, wait.department, wait.department_name, wait.bpmn_id) == (
        "open", "hrss", "人力资源和社会保障局", "Receive_DepartmentAnswer")
    assert wait.due_at is not None and wait.region == "320281"
    assert case.open_tasks() == []  # no task row: before this, nothing showed the wait

    # Due soon (2 working days): the centre's due-soon tab lists it, with a link to the case.
    soon = _page(live, "/tasks?tab=soon", "centre")
    assert "等待部门回复" in soon and "JY-WAIT-1" in soon and "人力资源和社会保障局" in soon
    assert f'href="/cases/{case.id}"' in soon
    assert "JY-WAIT-1" not in _page(live, "/tasks?tab=overdue", "centre")
    assert _wait_keys(live, "due_soon=true&due_within_hours=120", "centre") == ["JY-WAIT-1"]
    assert _wait_keys(live, "overdue=true", "centre") == []

    # Scope: another county, and another department, see nothing; the department itself does.
    assert "JY-WAIT-1" not in _page(live, "/tasks?tab=soon", "centre-yixing")
    assert _wait_keys(live, "due_soon=true&due_within_hours=120", "centre-yixing") == []
    assert _wait_keys(live, "due_soon=true&due_within_hours=120", "dept-civil-affairs") == []
    assert "JY-WAIT-1" not in _page(live, "/tasks?tab=soon", "dept-civil-affairs")
    assert _wait_keys(live, "due_soon=true&due_within_hours=120", "dept-hrss") == ["JY-WAIT-1"]
    assert live.call("GET", "/api/v1/tasks/department-waits", as_="applicant").status_code == 403

    # Past the deadline the timer fires (supervision, delay notice) and the case still waits:
    # the wait keeps its deadline and is overdue in the page and the API.
    case.advance(working_days=3)
    [wait] = _waits(case)
    assert wait.state == "open"
    overdue = _page(live, "/tasks?tab=overdue", "centre")
    assert "等待部门回复" in overdue and "JY-WAIT-1" in overdue and "已超期" in overdue
    [row] = live.call("GET", "/api/v1/tasks/department-waits?overdue=true", as_="centre").json()
    assert row["kind"] == "department_wait" and row["overdue"] is True and row["department"] == "hrss"
    assert row["applicant"] == "张*英"  # masked

    # The department's system answers: the wait ends and leaves the lists.
    assert answer(live, case, "hrss", {"approved": True, "decision": "同意"}).status_code == 202
    [wait] = _waits(case)
    assert wait.state == "ended" and wait.ended_at is not None
    assert _wait_keys(live, "overdue=true", "centre") == []
    assert "JY-WAIT-1" not in _page(live, "/tasks?tab=overdue", "centre")


def test_X_STAFF_filters_aid_type_provisional_and_full_name_on_page_and_api(
        scenario: Scenario, live: Client) -> None:  # noqa: F811
    scenario.start(PROCESS, application(applicant_name="周桂兰", aid_types=["dibao"]), "JY-FILTER-1")
    other = scenario.start(PROCESS, application(applicant_name="吴老伯", aid_types=["medical", "temporary"]),
                           "JY-FILTER-2")

    def keys(query: str) -> list[str]:
        r = live.call("GET", f"/api/v1/tasks?{query}", as_="window")
        assert r.status_code == 200, r.text
        with scenario.engine.db.reading() as s:
            ids = {t["instance_id"] for t in r.json()}
            return sorted(s.scalars(sa.select(Instance.business_key).where(Instance.id.in_(ids))))

    assert keys("aid_type=medical") == ["JY-FILTER-2"]
    assert keys("aid_type=dibao") == ["JY-FILTER-1"]
    assert keys("aid_type=tekun") == []
    assert keys("q=周桂兰") == ["JY-FILTER-1"]  # the full name
    assert keys("q=周桂") == []  # a part of a name finds nothing (it is stored only as a token)
    assert keys("q=FILTER-2") == ["JY-FILTER-2"]  # part of the business key still does
    assert keys(f"process={PROCESS}&channel=window") == ["JY-FILTER-1", "JY-FILTER-2"]
    assert keys("channel=hotline") == []
    assert keys("provisional=true") == []
    with scenario.engine.db.session() as s:  # a deadline in a year whose calendar is not published
        s.execute(sa.update(HumanTask).where(HumanTask.instance_id == other.id).values(due_provisional=True))
    assert keys("provisional=true") == ["JY-FILTER-2"]

    page = _page(live, "/tasks?aid_type=medical", "window")
    assert "JY-FILTER-2" in page and "JY-FILTER-1" not in page
    assert "吴*伯" in page and "吴老伯" not in page  # lists show the masked name
    assert 'placeholder="业务编号或申请人全名"' in page
    page = _page(live, "/tasks?provisional=yes", "window")
    assert "JY-FILTER-2" in page and "JY-FILTER-1" not in page
    page = _page(live, "/tasks?q=周桂兰", "window")
    assert "JY-FILTER-1" in page and "JY-FILTER-2" not in page
    assert "JY-FILTER-1" not in _page(live, "/tasks?q=桂兰", "window")

    # Bad values: 422 naming the field, for each filter the page has.
    for query, name in [("channel=fax", "channel"), ("aid_type=最低", "aid_type"),
                        ("provisional=perhaps", "provisional"), ("process=a%20b", "process"),
                        ("stage=%3Cx%3E", "stage"), ("q=" + "x" * 81, "q"), ("overdue=maybe", "overdue")]:
        r = live.call("GET", f"/api/v1/tasks?{query}", as_="window")
        assert r.status_code == 422, (query, r.status_code)
        assert name in r.text, (query, r.text)
    r = live.call("GET", "/api/v1/tasks/department-waits?channel=fax", as_="centre")
    assert r.status_code == 422 and "channel" in r.text


def test_J_SEC_applicant_name_stored_masked_and_as_a_keyed_token_never_in_clear(
        scenario: Scenario, live: Client) -> None:  # noqa: F811
    case = scenario.start(PROCESS, application(applicant_name="欧阳小明"), "JY-NAME-1")
    with scenario.engine.db.reading() as s:
        row = s.get(Instance, case.id)
        assert row.applicant_name is None
        assert row.applicant_display == "欧**明"
        assert row.applicant_token and "欧阳" not in row.applicant_token and len(row.applicant_token) > 64
        raw = s.execute(sa.text("SELECT * FROM instances WHERE id = :id"), {"id": case.id}).mappings().one()
    assert not any(isinstance(v, str) and "欧阳小明" in v for v in raw.values())
    header = _page(live, f"/tasks/{case.engine.tasks_for(_admin(scenario), _open(case.id))[0].id}", "window")
    head = header[header.index("case-header"):header.index("</dl>", header.index("case-header"))]
    assert "欧**明" in head and "欧阳小明" not in head  # the header; the form itself is pre-filled
    cases = _page(live, "/cases", "window")
    assert "JY-NAME-1" in cases and "欧**明" in cases and "欧阳小明" not in cases
    case_page = _page(live, f"/cases/{case.id}", "window")
    assert "<dd>欧**明</dd>" in case_page  # the case header, until shown in full on demand


def test_J_SEC_protect_clear_names_converts_rows_left_by_migration_0018(scenario: Scenario) -> None:
    """Migration 0018 masks clear names; `Engine.upgrade_schema` then computes their tokens
    with the data key and empties the clear column: the full name finds the case afterwards."""
    from engine import queries
    from engine.crypto.names import protect_clear_names

    case = scenario.start(PROCESS, application(applicant_name="钱多多"), "JY-NAME-OLD")
    with scenario.engine.db.session() as s:  # as a case stored before 0018 looked
        s.execute(sa.update(Instance).where(Instance.id == case.id).values(
            applicant_name="钱多多", applicant_token=None, applicant_display="钱*多"))
    assert protect_clear_names(scenario.engine.db) == 1
    assert protect_clear_names(scenario.engine.db) == 0  # idempotent
    with scenario.engine.db.reading() as s:
        row = s.get(Instance, case.id)
        assert (row.applicant_name, row.applicant_display) == (None, "钱*多") and row.applicant_token
    found = scenario.engine.tasks_for(_admin(scenario), queries.TaskFilter(text="钱多多"))
    assert {t.instance_id for t in found} == {case.id}
    assert scenario.engine.tasks_for(_admin(scenario), queries.TaskFilter(text="多多")) == []


def _admin(scenario: Scenario):
    from engine.auth import Principal

    return Principal("admin", ("admin",))


def _open(instance_id: str):
    from engine import queries

    return queries.TaskFilter(instance_id=instance_id)


def test_mask_name_forms() -> None:
    from engine.crypto.names import mask_name

    assert [mask_name(n) for n in ("张三", "张小三", "欧阳小明", "王", " 李 四 ", "", None)] == [
        "张*", "张*三", "欧**明", "*", "李*", None, None]





def _clerk(scenario: Scenario, username: str, region: str) -> str:
    """A window clerk of `region` (the demo password), made once per database."""
    from api.demo import DEMO_PASSWORD
    from engine.auth import create_user
    from engine.store.models import User

    with scenario.engine.db.session() as s:
        if s.scalar(sa.select(User).where(User.username == username)) is None:
            create_user(s, username, DEMO_PASSWORD, ["clerk"], ["window"], None, region, username,
                        scenario.engine.clock.now())
    return username


def test_J_CH_WINDOW_process_chooser_offers_only_the_variant_of_the_clerks_region(
        scenario: Scenario, live: Client) -> None:  # noqa: F811
    """items.json's offices name each region's variant (what the portal uses): a Jiangyin clerk
    is offered Jiangyin's process only, a Wuhai clerk Wuhai's; another region's variant is
    refused on the page and in the API with a message naming the process."""
    wuhai = _clerk(scenario, "window-wuhai", "150302")
    jiangyin_page = _page(live, "/cases/new", "window")
    assert "/cases/new/jiangyin_one_door" in jiangyin_page
    assert "/cases/new/wuhai_one_door" not in jiangyin_page and "/cases/new/tengzhou_one_door" not in jiangyin_page
    wuhai_page = _page(live, "/cases/new", wuhai)
    assert "/cases/new/wuhai_one_door" in wuhai_page and "/cases/new/jiangyin_one_door" not in wuhai_page

    refused = live.call("GET", "/cases/new/jiangyin_one_door", as_=wuhai)
    assert refused.status_code == 403
    assert "jiangyin_one_door" in html.unescape(refused.text) and "其他地区" in html.unescape(refused.text)
    assert live.call("GET", "/cases/new/wuhai_one_door", as_=wuhai).status_code == 200

    r = live.call("POST", "/api/v1/instances", as_=wuhai, json={"definition": PROCESS, "data": application()})
    assert r.status_code == 403 and r.json()["details"]["definition"] == PROCESS, r.text
    r = live.call("POST", "/cases/new/jiangyin_one_door", as_=wuhai, json={"data": application()})
    assert r.status_code == 403 and "其他地区" in r.json()["message"], r.text
    with scenario.engine.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Instance)) == 0  # nothing started
    r = live.call("POST", "/api/v1/instances", as_="window", json={"definition": PROCESS, "data": application()})
    assert r.status_code == 201, r.text


def test_X_STAFF_home_page_group_rows_link_to_their_task(scenario: Scenario, live: Client) -> None:  # noqa: F811
    case = scenario.start(PROCESS, application(), "JY-HOME-1")
    [task] = scenario.engine.tasks_for(_admin(scenario), _open(case.id))
    web = requests.Session()  # the home page is public: it knows who signed in by the session cookie
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', web.get(f"{live.base}/").text).group(1)
    web.post(f"{live.base}/sign-in", data={"username": "window", "password": DEMO_PASSWORD, "csrf_token": csrf})
    home = web.get(f"{live.base}/", timeout=30).text
    assert f'href="/tasks/{task.id}"' in home


def test_J_TRACK_case_page_reads_and_scopes_the_case_once(
        scenario: Scenario, live: Client, monkeypatch) -> None:  # noqa: F811
    """The case page's tracking, timeline, records and materials panel share one scoped read
    of the case and one restore of its state (before: five scope checks, two restores)."""
    from engine.auth import scope
    from engine.runtime import state

    case = accepted(scenario, "JY-ONCE-1", aid_types=["dibao", "medical"])
    calls = {"scope": 0, "restore": 0}
    require, load = scope.require_instance, state.load

    def counted_require(*args, **kw):
        calls["scope"] += 1
        return require(*args, **kw)

    def counted_load(*args, **kw):
        calls["restore"] += 1
        return load(*args, **kw)

    live.token("centre")  # signed in before counting
    monkeypatch.setattr(scope, "require_instance", counted_require)
    monkeypatch.setattr(state, "load", counted_load)
    page = _page(live, f"/cases/{case.id}", "centre")
    assert "JY-ONCE-1" in page and "材料" in page
    assert calls == {"scope": 1, "restore": 1}
    # Each read still checks scope on its own when called alone (the materials page, the API).
    assert live.call("GET", f"/cases/{case.id}", as_="centre-yixing").status_code == 403


def test_W_SUPERVISE_waits_begun_before_migration_0018_get_their_rows_with_the_fired_deadline(
        scenario: Scenario, webhook_department: Callable[..., OutsideSystem]) -> None:  # noqa: F811
    """`Engine.upgrade_schema` writes the rows of webhook waits that began before the table
    existed: the deadline of a timer that already fired included, so the wait is overdue."""
    webhook_department("hrss", handling_days=2)
    case = accepted(scenario, "JY-WAIT-OLD", aid_types=["employment"])
    dispatch(case)
    [before] = _waits(case)
    case.advance(working_days=3)  # the deadline timer fired; the case still waits
    with scenario.engine.db.session() as s:  # as a case waiting since before 0018 has it: no row
        s.execute(sa.delete(DepartmentWait).where(DepartmentWait.instance_id == case.id))
    assert scenario.engine.backfill_department_waits() == 1
    assert scenario.engine.backfill_department_waits() == 0  # once
    [after] = _waits(case)
    assert (after.task_id, after.state, after.department, after.due_at) == (
        before.task_id, "open", "hrss", before.due_at)
