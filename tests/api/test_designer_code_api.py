"""Issue 9 defects 2 and 7 over real HTTP: designer code never freezes or crashes the server.

A form pattern that backtracks for minutes in Python's `re` (which holds the GIL: every
request froze) is run by RE2; code that hung a start is a 422 naming the element and the
bound; a 100,000-deep form file at deploy is a 422 naming the file; meanwhile other
requests are answered. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading

from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.support import diagrams as d

CATASTROPHIC = "(a+)+$"


def _upload(live, files):  # noqa: F811
    return live.call("POST", "/api/v1/deployments", as_="designer",
                     files=[("files", (f.name, f.content)) for f in files])


def _start_form_diagram(key: str, form_key: str) -> str:
    xml = d.chain(key, [d.user_task("Task_Next")])
    return xml.replace('<bpmn:startEvent id="StartEvent_1" name="开始" />',
                       '<bpmn:startEvent id="StartEvent_1" name="开始"><bpmn:extensionElements>'
                       '<spiffworkflow:properties><spiffworkflow:property name="formKey" '
                       f'value="{form_key}" /></spiffworkflow:properties></bpmn:extensionElements>'
                       '</bpmn:startEvent>')


def test_issue9_a_catastrophic_form_pattern_answers_422_and_the_server_keeps_answering(live, watchdog):  # noqa: F811
    form = json.dumps({"type": "default", "id": "code_form", "components": [
        {"type": "textfield", "key": "code", "label": "代码", "validate": {"pattern": CATASTROPHIC}}]})
    key = "redos_case"
    r = _upload(live, d.bundle(_start_form_diagram(key, "t/code.json"), **{"t/code.json": form}))
    assert r.status_code == 201, r.text
    answers: dict[str, int] = {}

    def hostile() -> None:
        answers["hostile"] = live.call("POST", "/api/v1/instances", as_="window", json={
            "definition": key, "data": {"code": "a" * 34 + "!"}}).status_code

    thread = threading.Thread(target=hostile)
    thread.start()
    answers["other"] = live.call("GET", "/api/v1/definitions", as_="window").status_code
    thread.join(timeout=50)
    assert answers == {"hostile": 422, "other": 200}
    ok = live.call("POST", "/api/v1/instances", as_="window", json={"definition": key, "data": {"code": "aaa"}})
    assert ok.status_code == 201, ok.text


def test_issue9_a_start_that_hung_the_server_answers_422_naming_element_and_bound(live, watchdog):  # noqa: F811
    script = "def f(n):\n    return 1 if n < 2 else f(n - 1) + f(n - 2)\nx = f(40)"
    r = _upload(live, d.bundle(d.chain("recursing_case", [d.script_task("Script_Fib", script)])))
    assert r.status_code == 201, r.text
    r = live.call("POST", "/api/v1/instances", as_="window", json={"definition": "recursing_case", "data": {}})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["details"]["element"] == "Script_Fib" and body["details"]["limit"] in ("steps", "seconds")


def test_issue7_a_100000_deep_form_file_at_deploy_answers_422_naming_the_file(live):  # noqa: F811
    deep = '{"type": "default", "components": [], "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = _upload(live, d.bundle(_start_form_diagram("deep_case", "t/deep.json"), **{"t/deep.json": deep}))
    assert r.status_code == 422, r.text
    assert "t/deep.json" in r.json()["message"]
    assert all(dfn["key"] != "deep_case" for dfn in live.call("GET", "/api/v1/definitions", as_="window").json())


def test_issue7_a_plain_task_deployed_and_started_answers_no_500(live):  # noqa: F811
    r = _upload(live, d.bundle(d.chain("plain_case", ['<bpmn:task id="Task_Plain" name="步骤" />'])))
    assert r.status_code == 422 and r.json()["details"]["problems"][0]["element"] == "Task_Plain", r.text
