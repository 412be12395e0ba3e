"""A timer whose path keeps failing becomes an incident an operator can see and retry,
and never holds up the other timers of a drain (X-TIMERS, W-SUPERVISE)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main
from api.demo import JIANGYIN
from engine.audit import verify_chain
from engine.errors import Conflict
from engine.runtime.commands.timer_incidents import FAILURES_BEFORE_INCIDENT
from tests.engine.helpers import mini_bundle, mini_xml, unique_key
from tests.timers.helpers import at, events, review_task, timers


def _broken_supervision_xml(key: str) -> str:
    """The mini diagram whose overdue path runs a script on data the case never has."""
    return (mini_xml(key)
            .replace('<bpmn:userTask id="Task_Supervise" name="督办">',
                     '<bpmn:scriptTask id="Task_Supervise" name="督办">')
            .replace('<bpmn:outgoing>Flow_LateEnd</bpmn:outgoing>\n    </bpmn:userTask>',
                     '<bpmn:outgoing>Flow_LateEnd</bpmn:outgoing>\n'
                     '      <bpmn:script>supervised_by = missing_supervisor</bpmn:script>\n    </bpmn:scriptTask>'))


@pytest.fixture
def broken_and_healthy(engine):
    """Two cases reaching their deadline together: one whose overdue path errs, one fine."""
    healthy_key, broken_key = unique_key("ok"), unique_key("broken")
    engine.clock.reset_to(at("2026-11-02 09:00"))
    engine.deploy(mini_bundle(mini_xml(healthy_key)), "designer")
    engine.deploy(mini_bundle(_broken_supervision_xml(broken_key)), "designer")
    healthy = engine.start(healthy_key, {}, "TI-OK", "clerk", region=JIANGYIN).id
    broken = engine.start(broken_key, {}, "TI-BROKEN", "clerk", region=JIANGYIN).id
    engine.clock.reset_to(at("2026-11-04 17:31"))  # both 2-working-day deadlines have passed
    return engine, healthy, broken


def test_X_TIMERS_a_timer_that_keeps_failing_becomes_an_incident_and_blocks_no_other(broken_and_healthy):
    engine, healthy, broken = broken_and_healthy
    assert engine.fire_due_timers() == 1  # the healthy case's timer fires despite the broken one
    assert [t.state for t in timers(engine, healthy)] == ["fired"]
    for failures in range(2, FAILURES_BEFORE_INCIDENT + 1):
        (timer,) = timers(engine, broken)
        assert timer.state == "pending" and timer.failures == failures - 1
        assert "missing_supervisor" in timer.last_error
        engine.fire_due_timers()  # each round (watch/sweep) tries it once more
    (timer,) = timers(engine, broken)
    assert timer.state == "incident" and timer.failures == FAILURES_BEFORE_INCIDENT
    assert engine.next_timer_due() is None  # the scheduler no longer retries it every second
    assert engine.fire_due_timers() == 0
    (event,) = events(engine, "timer_incident", broken)
    assert event.input["element"] == "Timer_Review" and "missing_supervisor" in event.input["error"]
    assert [t.id for t in engine.timer_incidents()] == [timer.id]
    with engine.db.session() as s:
        assert verify_chain(s, broken)["valid"]


def test_X_TIMERS_an_incident_timer_is_retried_by_an_operator_and_audited(broken_and_healthy):
    engine, _healthy, broken = broken_and_healthy
    for _ in range(FAILURES_BEFORE_INCIDENT):
        engine.fire_due_timers()
    (timer,) = timers(engine, broken)
    retried = engine.retry_timer_incident(timer.id, "supervisor")
    assert retried.state == "pending" and retried.failures == 0
    assert events(engine, "retry_timer_incident", broken)[0].input["previous_error"]
    assert engine.next_timer_due() == timer.due_at
    with pytest.raises(Conflict, match="not an incident"):
        engine.retry_timer_incident(timer.id, "supervisor")


def test_X_TIMERS_finishing_the_task_cancels_its_incident_timer(broken_and_healthy):
    engine, _healthy, broken = broken_and_healthy
    for _ in range(FAILURES_BEFORE_INCIDENT):
        engine.fire_due_timers()
    from engine.auth.principal import Principal

    task = review_task(engine, broken)
    engine.complete(task.id, {"approved": "no"}, Principal("centre", ("dispatcher",), ("county-centre",),
                                                           region=JIANGYIN))
    (timer,) = timers(engine, broken)
    assert timer.state == "cancelled"
    assert engine.timer_incidents() == []


def test_X_TIMERS_operators_list_and_retry_timer_incidents_over_http(broken_and_healthy, live):
    engine, _healthy, broken = broken_and_healthy
    for _ in range(FAILURES_BEFORE_INCIDENT):
        engine.fire_due_timers()
    (timer,) = timers(engine, broken)
    listed = live.call("GET", "/api/v1/incidents/timers", "supervisor")
    assert listed.status_code == 200, listed.text
    assert [(t["id"], t["bpmn_id"], t["state"]) for t in listed.json()] == [(timer.id, "Timer_Review", "incident")]
    assert live.call("GET", "/api/v1/incidents/timers", "window").status_code == 403
    assert live.call("POST", f"/api/v1/incidents/timers/{timer.id}/retry", "window").status_code == 403
    assert [t.state for t in timers(engine, broken)] == ["incident"]  # the refused call changed nothing
    retried = live.call("POST", f"/api/v1/incidents/timers/{timer.id}/retry", "supervisor")
    assert retried.status_code == 200 and retried.json()["state"] == "pending"
    again = live.call("POST", f"/api/v1/incidents/timers/{timer.id}/retry", "supervisor")
    assert again.status_code == 409 and again.json()["details"]["state"] == "pending"


def test_X_TIMERS_relief_incidents_lists_and_retries_a_timer(broken_and_healthy, cli_env):
    engine, _healthy, broken = broken_and_healthy
    for _ in range(FAILURES_BEFORE_INCIDENT):
        engine.fire_due_timers()
    (timer,) = timers(engine, broken)
    listed = CliRunner().invoke(main, ["incidents", "list"])
    assert listed.exit_code == 0 and f"{timer.id}  timer Timer_Review" in listed.output
    assert "missing_supervisor" in listed.output
    retried = CliRunner().invoke(main, ["incidents", "retry", timer.id])
    assert retried.exit_code == 0 and f"{timer.id} timer pending" in retried.output
    unknown = CliRunner().invoke(main, ["incidents", "retry", "no-such-id"])
    assert unknown.exit_code != 0 and "no-such-id" in unknown.output


