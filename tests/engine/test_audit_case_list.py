"""X-AUDIT: the auditor's case list by missed deadline and by each case's last
verification (stored from the nightly run or an explicit verify)."""

from __future__ import annotations

import sqlalchemy as sa

from engine.audit.log import _EVENTS
from tests.engine.test_audit_replay import AUDITOR, jiangyin_case
from tests.scenarios.test_jiangyin import FRIDAY, PROCESS, application
from tests.support.scenario import Scenario


def _keys(engine, **filters) -> set[str]:
    """Business keys of the Jiangyin cases listed (a granted case's follow-up posting shares its key)."""
    rows, total = engine.audit_cases_for(AUDITOR, process_key=PROCESS, **filters)
    assert total == len(rows)
    return {r.business_key for r in rows}


def test_X_AUDIT_J_TIMELY_late_filter_lists_cases_with_a_missed_deadline(scenario: Scenario) -> None:
    engine = scenario.engine
    scenario.at(FRIDAY)
    late = scenario.start(PROCESS, application(), business_key="JY-LATE-OPEN")
    done_late = scenario.start(PROCESS, application(), business_key="JY-LATE-DONE")
    on_time = scenario.start(PROCESS, application(), business_key="JY-ON-TIME")
    on_time.complete("Task_CheckMaterials", {"materials_complete": "yes"})  # done within its day
    late.advance(working_days=1)  # the material check (1 working day) is past due for the other two
    done_late.complete("Task_CheckMaterials", {"materials_complete": "yes"})  # done, but after the deadline
    assert _keys(engine, late=True) == {"JY-LATE-OPEN", "JY-LATE-DONE"}
    assert {"JY-LATE-OPEN", "JY-LATE-DONE", "JY-ON-TIME"} <= _keys(engine)


def test_X_AUDIT_each_case_keeps_its_last_verification_from_nightly_and_explicit_runs(scenario: Scenario) -> None:
    engine = scenario.engine
    good = jiangyin_case(scenario, "JY-CHECK-GOOD")
    bad = jiangyin_case(scenario, "JY-CHECK-BAD")
    assert _keys(engine, verification="unchecked") >= {"JY-CHECK-GOOD", "JY-CHECK-BAD"}
    assert engine.case_checks([good.id, bad.id]) == {}
    with engine.db.session() as s:  # the actor of event 3 rewritten in the database
        s.execute(_EVENTS.update().where(_EVENTS.c.instance_id == bad.id, _EVENTS.c.seq == 3)
                  .values(actor="someone-else"))
    run = engine.nightly_audit("nightly")
    checks = engine.case_checks([good.id, bad.id])
    assert checks[good.id].ok and checks[good.id].source == "nightly"
    assert not checks[bad.id].ok and "hash chain broken at step 3" in checks[bad.id].line
    assert checks[good.id].checked_at >= run.started_at
    assert _keys(engine, verification="passed") >= {"JY-CHECK-GOOD"}
    assert "JY-CHECK-BAD" not in _keys(engine, verification="passed")
    assert _keys(engine, verification="failed") == {"JY-CHECK-BAD"}
    assert not {"JY-CHECK-GOOD", "JY-CHECK-BAD"} & _keys(engine, verification="unchecked")
    # An explicit verify later replaces the nightly verdict (the event put back as it was).
    with engine.db.session() as s:
        actor = s.scalar(sa.select(_EVENTS.c.actor).where(_EVENTS.c.instance_id == good.id, _EVENTS.c.seq == 3))
        s.execute(_EVENTS.update().where(_EVENTS.c.instance_id == bad.id, _EVENTS.c.seq == 3).values(actor=actor))
    result = engine.verify_case(bad.id, "cli")
    assert result.ok, result.line()
    again = engine.case_checks([bad.id])[bad.id]
    assert again.ok and again.source == "cli"
    assert "JY-CHECK-BAD" not in _keys(engine, verification="failed")
