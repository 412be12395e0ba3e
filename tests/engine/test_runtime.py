"""The executor and its commands on the mini diagram (X-STAFF, X-WORKERS, X-TIMERS,
DESIGN rules 2, 3 and 6)."""

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.audit import verify_chain
from engine.auth import Principal
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime import state
from engine.store.models import AuditEvent, HumanTask, Instance, Job, Timer
from engine.store.records import Notification
from tests.engine.helpers import mini_bundle, mini_xml, unique_key
from workers.runner import run_pending

CENTRE = Principal("centre-1", ("dispatcher",), ("county-centre",))
OTHER = Principal("centre-2", ("dispatcher",), ("county-centre",))
OUTSIDER = Principal("village-1", ("clerk",), ("village",))
WINDOW = Principal("window-1", ("clerk",), ("window",))


@pytest.fixture
def mini(engine):
    engine.deploy(mini_bundle(), "designer")
    return engine


def _open(engine, instance_id):
    with engine.db.session() as s:
        return list(s.scalars(sa.select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.state == "open")))


def test_start_opens_the_task_with_groups_form_and_working_day_deadline(mini):
    inst = mini.start("mini_case", {}, "MINI-1", "clerk")
    [task] = _open(mini, inst.id)
    assert (task.bpmn_id, task.candidate_groups, task.form_key) == ("Task_Review", ["county-centre"],
                                                                     "mini/review.json")
    # Started Monday 2 Nov 2026 09:00 +08: two working days → Wednesday 4 Nov, office close.
    assert task.due_at == dt.datetime(2026, 11, 4, 9, 30, tzinfo=dt.UTC)
    assert task.statutory_basis == "W-FLOW: 2个工作日内审核（督办）"
    assert "spec" not in inst.state and "subprocess_specs" not in inst.state


def test_X_STAFF_a_timers_basis_property_is_the_tasks_statutory_basis(engine):
    """A timer's `basis` property (written for clerks) is what the task row records as its
    deadline's basis, instead of the timer's documentation (written for designers)."""
    basis = "复核在 2 个工作日内完成（本县实施细则第五条）"
    xml = mini_xml(unique_key()).replace(
        "<bpmn:documentation>W-FLOW: 2个工作日内审核（督办）</bpmn:documentation>",
        "<bpmn:documentation>W-FLOW: 2个工作日内审核（督办）</bpmn:documentation><bpmn:extensionElements>"
        f'<spiffworkflow:properties><spiffworkflow:property name="basis" value="{basis}" />'
        "</spiffworkflow:properties></bpmn:extensionElements>")
    assert basis in xml
    key = xml.split('<bpmn:process id="', 1)[1].split('"', 1)[0]
    engine.deploy(mini_bundle(xml), "designer")
    [task] = _open(engine, engine.start(key, {}, "MINI-BASIS", "clerk").id)
    assert task.statutory_basis == basis


def test_X_STAFF_complete_runs_the_service_task_through_a_worker(mini):
    inst = mini.start("mini_case", {"applicant_phone": "13812345678"}, "MINI-2", "clerk")
    [task] = _open(mini, inst.id)
    mini.claim(task.id, CENTRE)
    mini.complete(task.id, {"approved": "yes"}, CENTRE)
    assert mini.instance(inst.id).status == "running"  # waiting for the worker
    done = run_pending(mini)
    assert [d["topic"] for d in done] == ["applicant.notify"]
    assert mini.instance(inst.id).status == "completed"
    with mini.db.session() as s:
        [note] = s.scalars(sa.select(Notification).where(Notification.instance_id == inst.id)).all()
        timers = s.scalars(sa.select(Timer).where(Timer.instance_id == inst.id)).all()
    assert note.template == "approved" and note.to == "13812345678"
    assert [t.state for t in timers] == ["cancelled"]


def test_default_flow_ends_without_a_job(mini):
    inst = mini.start("mini_case", {}, "MINI-3", "clerk")
    [task] = _open(mini, inst.id)
    mini.complete(task.id, {"approved": "no"}, CENTRE)
    assert mini.instance(inst.id).status == "completed"
    with mini.db.session() as s:
        assert s.scalar(sa.select(sa.func.count(Job.id)).where(Job.instance_id == inst.id)) == 0


def test_X_FORMS_invalid_submission_names_the_fields_and_changes_nothing(mini):
    inst = mini.start("mini_case", {}, "MINI-4", "clerk")
    [task] = _open(mini, inst.id)
    version = mini.instance(inst.id).version
    with pytest.raises(ValidationFailed) as err:
        mini.complete(task.id, {"approved": "maybe", "applicant_id_number": "110105194912310021",
                                "extra": 1}, CENTRE)
    fields = err.value.details["fields"]
    assert {"approved", "applicant_id_number", "extra"} <= set(fields)
    assert mini.instance(inst.id).version == version
    assert [t.id for t in _open(mini, inst.id)] == [task.id]


def test_X_FORMS_hide_conditions_read_what_the_case_already_knows(engine):
    """A field hidden by earlier case data (here: the intake channel) is neither required nor
    kept; for a case where the condition does not hold it is required, named in the error."""
    import json

    from engine.definitions.bundle import BundleFile
    from tests.engine.helpers import mini_xml, unique_key

    form = json.loads(mini_bundle()[1].content)
    form["components"].append({"type": "textfield", "key": "visit_note", "label": "入户核查记录",
                               "validate": {"required": True}, "conditional": {"hide": '=channel = "online"'}})
    key = unique_key("hide")
    engine.deploy([BundleFile("mini.bpmn", "bpmn", mini_xml(key).encode()),
                   BundleFile("mini/review.json", "form", json.dumps(form).encode())], "designer")
    online = engine.start(key, {"channel": "online"}, "HIDE-1", "clerk")
    [task] = _open(engine, online.id)
    engine.complete(task.id, {"approved": "no", "visit_note": "不应保存"}, CENTRE)
    assert "visit_note" not in engine.case_data(engine.instance(online.id))
    window = engine.start(key, {"channel": "window"}, "HIDE-2", "clerk")
    [task] = _open(engine, window.id)
    with pytest.raises(ValidationFailed) as err:
        engine.complete(task.id, {"approved": "no"}, CENTRE)
    assert list(err.value.details["fields"]) == ["visit_note"]


def test_W_FIRST_a_claimed_task_belongs_to_its_claimant(mini):
    inst = mini.start("mini_case", {}, "MINI-5", "clerk")
    [task] = _open(mini, inst.id)
    mini.claim(task.id, CENTRE)
    with pytest.raises(Conflict):
        mini.claim(task.id, OTHER)
    with pytest.raises(Conflict):
        mini.complete(task.id, {"approved": "yes"}, OTHER)
    with pytest.raises(Forbidden):
        mini.claim(task.id, OUTSIDER)
    mini.unclaim(task.id, CENTRE)
    mini.claim(task.id, OTHER)


def test_X_TIMERS_overdue_task_goes_to_supervision_and_stays_open(mini):
    inst = mini.start("mini_case", {}, "MINI-6", "clerk")
    assert mini.fire_due_timers() == 0
    mini.advance_clock(dt.timedelta(days=2, hours=9))  # Wednesday 18:00 +08, past the 17:30 deadline
    assert mini.fire_due_timers() == 1
    assert sorted(t.bpmn_id for t in _open(mini, inst.id)) == ["Task_Review", "Task_Supervise"]
    with mini.db.session() as s:
        fired = s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == inst.id,
                                                      AuditEvent.command == "fire_timer")).one()
    assert fired.input["element"] == "Timer_Review"
    assert 1800 <= fired.input["late_seconds"] < 1860  # the test clock keeps running with the wall clock
    assert mini.fire_due_timers() == 0  # once only


def test_X_TIMERS_a_batch_fired_after_a_restart_keeps_rows_and_audit_chains_right(mini):
    """The cold path (no cached workflow): the waits before the command come from the
    restored state, the instances and chain heads of a whole batch are read at once."""
    cases = [mini.start("mini_case", {}, f"COLD-{i}", "clerk") for i in range(3)]
    [task] = _open(mini, cases[0].id)
    mini.claim(task.id, CENTRE)  # one chain is longer than the others
    mini.executor.cache = type(mini.executor.cache)()  # as after a restart
    mini.advance_clock(dt.timedelta(days=2, hours=9))
    assert mini.fire_due_timers() == 3
    with mini.db.session() as s:
        for inst in cases:
            assert verify_chain(s, inst.id)["valid"] is True
            assert s.scalars(sa.select(Timer.state).where(Timer.instance_id == inst.id)).all() == ["fired"]
            assert s.get(Instance, inst.id).version == (3 if inst is cases[0] else 2)  # one UPDATE per command
    for inst in cases:
        assert sorted(t.bpmn_id for t in _open(mini, inst.id)) == ["Task_Review", "Task_Supervise"]
    mini.executor.cache = type(mini.executor.cache)()
    [review] = [t for t in _open(mini, cases[1].id) if t.bpmn_id == "Task_Review"]
    mini.complete(review.id, {"approved": "no"}, CENTRE)
    assert [t.bpmn_id for t in _open(mini, cases[1].id)] == ["Task_Supervise"]  # its own branch goes on


def test_the_cold_path_reads_the_state_at_the_version_the_command_saw(mini):
    """A command reads its instance row without the state and restores the workflow from a
    second read; a row that moved on in between (another writer committed) is a lost race,
    retried, never a newer state under an older version."""
    inst = mini.start("mini_case", {}, "MINI-COLD", "clerk")
    mini.executor.cache = type(mini.executor.cache)()  # as after a restart
    seen: list[int] = []

    class Probe:
        name = "probe"

        def execute(self, ctx):
            row = ctx.instance(inst.id)
            seen.append(row.version)
            if len(seen) == 1:  # another writer's commit, between the two reads
                table = Instance.__table__
                ctx.session.execute(table.update().where(table.c.id == inst.id).values(version=table.c.version + 1))
            return ctx.workflow(row).is_completed()

    assert mini.executor.run(Probe(), "tester") is False
    assert seen == [inst.version, inst.version]  # the first attempt stopped, rolled back, and ran again


def test_state_restores_from_the_database_with_our_script_engine(mini):
    inst = mini.start("mini_case", {}, "MINI-7", "clerk")
    mini.executor.cache = type(mini.executor.cache)()  # as after a restart
    with mini.db.session() as s:
        row = s.get(Instance, inst.id)
        process = mini.specs.process(s, row.definition)
    workflow = state.load(row.state, process.spec, process.subprocess_specs)
    assert workflow.script_engine is state.SCRIPT_ENGINE
    [task] = _open(mini, inst.id)
    mini.complete(task.id, {"approved": "no"}, CENTRE)
    assert mini.instance(inst.id).status == "completed"


def test_cancel_closes_tasks_and_timers(mini):
    inst = mini.start("mini_case", {}, "MINI-8", "clerk")
    mini.cancel(inst.id, "申请人撤回", "centre-1")
    assert mini.instance(inst.id).status == "cancelled"
    assert _open(mini, inst.id) == []
    with mini.db.session() as s:
        assert s.scalars(sa.select(Timer.state).where(Timer.instance_id == inst.id)).all() == ["cancelled"]
    with pytest.raises(Conflict):
        mini.cancel(inst.id, "again", "centre-1")


def test_X_AUDIT_history_is_hash_chained_and_tampering_is_found(mini):
    inst = mini.start("mini_case", {}, "MINI-9", "clerk")
    [task] = _open(mini, inst.id)
    mini.claim(task.id, CENTRE)
    mini.complete(task.id, {"approved": "no"}, CENTRE)
    with mini.db.session() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == inst.id)
                           .order_by(AuditEvent.seq)).all()
        assert [e.command for e in events] == ["start_instance", "claim_task", "complete_task"]
        assert events[2].actor == "centre-1" and events[2].input["data"] == {"approved": "no"}
        assert any(c["element"] == "End_Refused" and c["to"] == "COMPLETED" for c in events[2].changes)
        assert verify_chain(s, inst.id)["valid"] is True
        events[1].input = {"task": task.id, "element": "forged"}
    with mini.db.session() as s:
        result = verify_chain(s, inst.id)
    assert result == {"valid": False, "events": 3, "broken_at": 2, "reason": "hash mismatch"}


def test_unknown_things_are_not_found(mini):
    with pytest.raises(NotFound):
        mini.start("no_such_process", {}, None, "clerk")
    with pytest.raises(NotFound):
        mini.claim("00000000-0000-0000-0000-000000000000", CENTRE)
    with pytest.raises(NotFound):
        mini.correlate("supplementary_documents", "NOBODY", {}, WINDOW)


def test_message_nobody_waits_for_is_a_conflict(mini):
    mini.start("mini_case", {}, "MINI-10", "clerk")
    with pytest.raises(Conflict):
        mini.correlate("supplementary_documents", "MINI-10", {}, WINDOW)


def test_stale_version_is_retried_not_merged(mini):
    """DESIGN rule 3: a command that lost a race runs again on the fresh state."""
    if mini.db.is_sqlite:
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: this race cannot happen there")
    inst = mini.start("mini_case", {}, "MINI-11", "clerk")
    [task] = _open(mini, inst.id)
    attempts = []

    class RacingClaim:
        name = "claim_task"

        def execute(self, ctx):
            row = ctx.instance(inst.id)
            attempts.append(row.version)
            if len(attempts) == 1:  # someone else changes the instance meanwhile
                with mini.db.engine.begin() as other:
                    other.execute(sa.text("UPDATE instances SET version = version + 1 WHERE id = :id"),
                                  {"id": inst.id})
            ctx.session.get(HumanTask, task.id).assignee = ctx.actor
            ctx.record(row, self.name, {"task": task.id})

    mini.executor.run(RacingClaim(), "centre-1")
    assert len(attempts) == 2 and attempts[1] == attempts[0] + 1


def _race(engine):
    from engine.definitions.bundle import BundleFile
    from tests.engine.helpers import FIXTURES

    engine.deploy([BundleFile("race.bpmn", "bpmn", (FIXTURES / "race.bpmn").read_bytes())], "designer")


def test_event_based_gateway_message_wins_and_the_timer_is_withdrawn(engine):
    """W-URGENT style wait: documents arrive before the deadline."""
    _race(engine)
    inst = engine.start("race_case", {}, "RACE-1", "clerk")
    with engine.db.session() as s:
        [timer] = s.scalars(sa.select(Timer).where(Timer.instance_id == inst.id)).all()
    assert timer.due_at == dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)
    engine.correlate("supplementary_documents", "RACE-1", {"documents": ["户口簿"]}, WINDOW)
    assert engine.instance(inst.id).status == "completed"
    assert engine.case_data(engine.instance(inst.id))["supplement"] == {"documents": ["户口簿"]}
    with engine.db.session() as s:
        assert s.get(Timer, timer.id).state == "cancelled"


def test_event_based_gateway_timer_wins_and_a_late_message_is_refused(engine):
    _race(engine)
    inst = engine.start("race_case", {}, "RACE-2", "clerk")
    engine.advance_clock(dt.timedelta(days=2))
    assert engine.fire_due_timers() == 1
    assert engine.instance(inst.id).status == "completed"
    with pytest.raises(NotFound):  # the case has ended: nobody waits for the documents any more
        engine.correlate("supplementary_documents", "RACE-2", {}, WINDOW)
    with engine.db.session() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == inst.id)).all()
    changes = [c for e in events for c in e.changes]
    assert any(c["element"] == "End_Expired" and c["to"] == "COMPLETED" for c in changes)
    assert not any(c["element"] == "End_Received" and c["to"] == "COMPLETED" for c in changes)


def test_a_failing_condition_is_refused_as_process_error_and_changes_nothing(engine):
    """DESIGN rule 9: the diagram's own fault names the element; the instance keeps its state."""
    from engine.runtime.executor import ProcessError
    from tests.engine.helpers import mini_xml, unique_key

    key = unique_key()
    engine.deploy(mini_bundle(mini_xml(key).replace("approved == 'yes'", "approved == 'yes' and missing_field")),
                  "designer")
    inst = engine.start(key, {}, "PE-1", "clerk")
    [task] = _open(engine, inst.id)
    version = engine.instance(inst.id).version
    with pytest.raises(ProcessError) as err:
        engine.complete(task.id, {"approved": "yes"}, CENTRE)
    assert "missing_field" in err.value.message and err.value.details["element"] == "Gateway_Ok"
    assert engine.instance(inst.id).version == version
    assert [t.id for t in _open(engine, inst.id)] == [task.id]
    engine.complete(task.id, {"approved": "no"}, CENTRE)  # the same task can still be completed
    assert engine.instance(inst.id).status == "completed"


def test_a_command_that_always_loses_the_race_is_refused_with_409(mini):
    """DESIGN rule 3: the explicit version check of the instance UPDATE never merges."""
    if mini.db.is_sqlite:
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: this race cannot happen there")
    inst = mini.start("mini_case", {}, "MINI-12", "clerk")
    version = mini.instance(inst.id).version

    class AlwaysLosing:
        name = "claim_task"

        def execute(self, ctx):
            row = ctx.instance(inst.id)
            with mini.db.engine.begin() as other:
                other.execute(sa.text("UPDATE instances SET version = version + 1 WHERE id = :id"), {"id": inst.id})
            ctx.record(row, self.name, {})

    with pytest.raises(Conflict):
        mini.executor.run(AlwaysLosing(), "centre-1")
    assert mini.instance(inst.id).version == version + 3  # only the other writer's three updates


def test_jobs_queued_counts_the_commands_that_made_a_job_fetchable(mini):
    """The in-process runner skips its closing fetch only while this count stands still."""
    inst = mini.start("mini_case", {"applicant_phone": "13812345678"}, "MINI-13", "clerk")
    [task] = _open(mini, inst.id)
    before = mini.jobs_queued
    mini.complete(task.id, {"approved": "yes"}, CENTRE)  # reaches the service task: a new job
    assert mini.jobs_queued == before + 1
    [job] = mini.fetch_and_lock("w1", ["applicant.notify"], lock_seconds=60)
    assert mini.jobs_queued == before + 1  # locking queues nothing
    mini.fail_job(job.id, "w1", "SMS gateway down", retry_in_seconds=0)  # fetchable again at once
    assert mini.jobs_queued == before + 2
    assert [d["topic"] for d in run_pending(mini)] == ["applicant.notify"]
    assert mini.instance(inst.id).status == "completed"
