"""A completion that answers with the case's next tasks (X-STAFF, issue 15): a client need
not ask the task list after each step; what it gets is what the task list would show it."""

from __future__ import annotations

import json

from bench.http_api import FORM, PROCESS, STEPS, _diagram


def _deploy_five_steps(live) -> None:
    files = [("files", ("bench_five_steps.bpmn", _diagram().encode(), "application/xml")),
             ("files", ("bench/step.json", json.dumps(FORM).encode(), "application/json"))]
    r = live.call("POST", "/api/v1/deployments", as_="designer", files=files)
    assert r.status_code == 201, r.text


def test_X_STAFF_a_completion_answers_with_the_next_task_the_task_list_would_show(live):
    _deploy_five_steps(live)
    r = live.call("POST", "/api/v1/instances", as_="window",
                  json={"definition": PROCESS, "business_key": "NEXT-1", "data": {}})
    assert r.status_code == 201, r.text
    case = r.json()["id"]
    [task] = live.call("GET", "/api/v1/tasks", as_="window", params={"instance": case}).json()
    r = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_="window", json={"data": {"done": "yes"}})
    assert r.status_code == 200 and "next_tasks" not in r.json()  # only when asked
    for step in range(2, STEPS + 1):
        listed = live.call("GET", "/api/v1/tasks", as_="window", params={"instance": case}).json()
        assert [t["bpmn_id"] for t in listed] == [f"Task_{step}"]
        r = live.call("POST", f"/api/v1/tasks/{listed[0]['id']}/complete", as_="window",
                      json={"data": {"done": "yes"}, "next_tasks": True})
        assert r.status_code == 200 and r.json()["state"] == "completed"
        expected = live.call("GET", "/api/v1/tasks", as_="window", params={"instance": case}).json()
        assert r.json()["next_tasks"] == expected
        assert [t["bpmn_id"] for t in expected] == ([f"Task_{step + 1}"] if step < STEPS else [])
    # The last completion ended the case: no next task.
    assert live.call("GET", f"/api/v1/instances/{case}", as_="window").json()["status"] == "completed"


def test_X_STAFF_a_bad_next_tasks_flag_is_refused_naming_the_field(live):
    _deploy_five_steps(live)
    case = live.call("POST", "/api/v1/instances", as_="window",
                     json={"definition": PROCESS, "business_key": "NEXT-2", "data": {}}).json()["id"]
    [task] = live.call("GET", "/api/v1/tasks", as_="window", params={"instance": case}).json()
    r = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_="window",
                  json={"data": {"done": "yes"}, "next_tasks": "perhaps"})
    assert r.status_code == 422 and "next_tasks" in r.json()["details"]["fields"]
    [still] = live.call("GET", "/api/v1/tasks", as_="window", params={"instance": case}).json()
    assert still["id"] == task["id"] and still["state"] == "open"  # nothing stored
