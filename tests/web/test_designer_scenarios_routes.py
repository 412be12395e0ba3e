"""Saved scenarios and the deploy dialog through the designer's routes (issue 13,
X-DESIGN, J-SEC), on SQLite and PostgreSQL: a scenario saved from the form (bad JSON or a
bad field refused naming it, nothing saved), its result on the draft, the run of all on
a drawing, a draft failing one sent to the deploy dialog that names the difference and
deployed only with the confirmation; the simulation route delivers a scenario's message.
Designers only. (Bearer tokens here; the session matrix proves the CSRF check.)"""

from __future__ import annotations

import json

from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.engine.helpers import mini_bundle, mini_xml, unique_key

SCENARIO = {"start": "2026-09-29T10:00", "data": {"approved": "no"}}
EXPECTED = {"end": "End_Refused", "deadlines": {"Timer_Review": {"due_at": "2026-10-08T17:30:00+08:00"}}}


def _form(name: str, scenario, expected) -> dict[str, str]:
    return {"name": name, "scenario": scenario if isinstance(scenario, str) else json.dumps(scenario),
            "expected": expected if isinstance(expected, str) else json.dumps(expected)}


def test_X_DESIGN_scenarios_saved_run_and_checked_in_the_deploy_dialog(engine, live):  # noqa: F811
    key = unique_key("webscen")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    page = f"/designer/{key}/scenarios"
    assert live.call("GET", page, as_="window").status_code == 403
    assert live.call("POST", page, as_="window", data=_form("x", SCENARIO, EXPECTED)).status_code == 403
    assert live.call("GET", "/designer/no_such_process/scenarios", as_="designer").status_code == 404

    bad_json = live.call("POST", page, as_="designer", data=_form("不通过", "{not json", EXPECTED))
    assert bad_json.status_code == 422 and "不是有效的 JSON" in bad_json.text
    bad_field = live.call("POST", page, as_="designer", data=_form("不通过", {"start": "soon"}, EXPECTED))
    assert bad_field.status_code == 422 and "scenario.start" in bad_field.text
    assert engine.scenarios(key) == []
    saved = live.call("POST", page, as_="designer", data=_form("不通过", SCENARIO, EXPECTED), allow_redirects=False)
    assert saved.status_code == 302 and engine.scenarios(key)[0].name == "不通过"
    listed = live.call("GET", page, as_="designer").text
    assert 'data-scenario="不通过" data-result="passed"' in listed

    # The run of all scenarios on what is drawn in the modeler: a 3-day deadline fails it.
    three = mini_xml(key).replace("add_working_days(now(), 2)", "add_working_days(now(), 3)")
    run = live.call("POST", f"{page}/run", as_="designer", json={"xml": three})
    [result] = run.json()["results"]
    assert run.status_code == 200 and result["passed"] is False
    assert result["failures"] == [{"check": "deadline_due", "element": "Timer_Review",
                                   "expected": "2026-10-08T17:30:00+08:00", "actual": "2026-10-09T17:30:00+08:00"}]
    assert live.call("POST", f"{page}/run", as_="designer", json={"xml": 5}).status_code == 422

    # Deploying that draft: sent to the deploy dialog, which names the difference; nothing deployed.
    live.call("POST", f"/designer/{key}/draft", as_="designer", json={"xml": three})
    refused = live.call("POST", f"/designer/{key}/deploy", as_="designer", allow_redirects=False)
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/designer/{key}/deploy")
    assert len(engine.process_versions(key)) == 1
    dialog = live.call("GET", f"/designer/{key}/deploy", as_="designer").text
    assert 'data-result="failed"' in dialog and "1 个场景未通过" in dialog
    assert "Timer_Review 应于 2026年10月8日 星期四 17:30 到期，实际 2026年10月9日 星期五 17:30" in dialog
    assert 'name="confirm_failing"' in dialog
    confirmed = live.call("POST", f"/designer/{key}/deploy", as_="designer", data={"confirm_failing": "yes"},
                          allow_redirects=False)
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(f"/designer/{key}/versions")
    assert engine.process_versions(key)[0].version == 2
    assert live.call("GET", f"/designer/{key}/deploy", as_="designer").status_code == 404  # no draft left

    deleted = live.call("POST", f"{page}/delete", as_="designer", data={"name": "不通过"}, allow_redirects=False)
    assert deleted.status_code == 302 and engine.scenarios(key) == []
    assert live.call("POST", f"{page}/delete", as_="designer", data={"name": "不通过"}).status_code == 404


def test_X_DESIGN_the_simulation_route_takes_task_data_and_messages(engine, live):  # noqa: F811
    key = unique_key("websimmsg")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    body = {"xml": mini_xml(key), "data": {}, "start": "2026-09-29T10:00",
            "task_data": {"Task_Review": {"approved": "yes"}},
            "messages": [{"name": "never_waited_for", "payload": {}}]}
    run = live.call("POST", f"/designer/{key}/simulate", as_="designer", json=body)
    assert run.status_code == 200, run.text
    assert run.json()["steps"][-1]["element"] == "End_Approved"  # the review's answer came from task_data
    assert run.json()["messages"] == [{"name": "never_waited_for", "element": None, "delivered_at": None,
                                       "delivered_text": "未送达"}]
    bad = live.call("POST", f"/designer/{key}/simulate", as_="designer",
                    json={**body, "messages": [{"name": "m", "at": "tomorrow"}]})
    assert bad.status_code == 422 and "scenario.messages[0].at" in bad.json()["details"]["fields"]
