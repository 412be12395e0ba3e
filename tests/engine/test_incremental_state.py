"""The incremental state dump: exactly `state.dump`, dict and text, after every kind of change.

The suite runs with RELIEF_VERIFY_STATE=1 (tests/conftest.py), so every command of every
test also checks its dump against the full one; these tests aim at the changes that leave
no other sign on a task (a value replaced in internal_data, data changed in place through
an object shared with finished tasks) and at the database column that stores the text.
The stored state is what the engine interprets the diagram from on the next command
(X-BPMN) and what an auditor's replay starts from (X-AUDIT).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from SpiffWorkflow.util.task import TaskState

from engine.definitions.parser import parse_bundle
from engine.runtime import incremental, state
from engine.runtime.incremental import StateMismatch, dump_encoded
from engine.scripting import command_time
from engine.store.base import EncodedJSON
from engine.store.models import Instance
from tests.engine.helpers import mini_bundle

NOW = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def workflow() -> Any:
    """The mini diagram, waiting at Task_Review with its boundary timer."""
    files = mini_bundle()
    bundle = parse_bundle({f.name: f.content for f in files if f.kind == "bpmn"}, {})
    process = bundle.processes["mini_case"]
    wf = state.new_workflow(process.spec, process.subprocess_specs)
    wf.task_tree.data.update({"applicant": {"name": "张三", "documents": ["id"]}, "score": 1})
    with command_time(NOW):
        wf.do_engine_steps()
    return wf


def _task(wf: Any, bpmn_id: str, mask: int = TaskState.ANY_MASK) -> Any:
    [task] = [t for t in wf.get_tasks(state=mask) if t.task_spec.bpmn_id == bpmn_id]
    return task


def _same_as_full(wf: Any) -> EncodedJSON:
    dumped = dump_encoded(wf)
    assert isinstance(dumped, EncodedJSON)
    full = state.dump(wf)
    assert dict(dumped) == full
    assert dumped.text == json.dumps(full)  # the very text SQLAlchemy would have written
    return dumped


def test_a_second_dump_reuses_the_heads_it_may_and_gives_the_same_document(workflow):
    first = _same_as_full(workflow)
    heads = dict(getattr(workflow, incremental._CACHE_ATTR))
    second = _same_as_full(workflow)
    assert second.text == first.text
    reused = {t.task_spec.bpmn_id for t, h in heads.items() if getattr(workflow, incremental._CACHE_ATTR)[t] is h}
    # Every head but the live task with internal data: the waiting timer (its due time).
    assert {t.task_spec.bpmn_id for t in heads} - reused == {"Timer_Review"}


def test_a_value_replaced_in_a_waiting_tasks_internal_data_is_dumped(workflow):
    timer = _task(workflow, "Timer_Review", TaskState.WAITING)
    before = _same_as_full(workflow)
    # What recompute_deadlines does: same key, same dict, same size, no state change.
    timer._set_internal_data(event_value="2027-01-04T01:00:00+00:00")
    after = _same_as_full(workflow)
    assert after.text != before.text
    assert after["tasks"][str(timer.id)]["internal_data"]["event_value"] == "2027-01-04T01:00:00+00:00"


def test_a_value_replaced_in_a_finished_tasks_internal_data_is_dumped(workflow):
    start = _task(workflow, "StartEvent_Apply")
    assert start.state == TaskState.COMPLETED and start.internal_data
    _same_as_full(workflow)
    key = next(iter(start.internal_data))
    start.internal_data[key] = "replaced"  # a new value object under the same key
    assert _same_as_full(workflow)["tasks"][str(start.id)]["internal_data"][key] == "replaced"


def test_data_changed_in_place_through_an_object_shared_with_finished_tasks_is_dumped(workflow):
    review = _task(workflow, "Task_Review", TaskState.READY)
    before = _same_as_full(workflow)
    # A child's data is a shallow copy of its parent's: the nested list is the finished
    # ancestors' list too, so a script appending to it changes their data and deltas.
    shared = review.data["applicant"]["documents"]
    assert any(t.data.get("applicant", {}).get("documents") is shared
               for t in workflow.get_tasks(state=TaskState.FINISHED_MASK))
    shared.append("household register")
    after = _same_as_full(workflow)
    assert after.text != before.text
    root = after["tasks"][str(workflow.task_tree.id)]
    assert root["data"]["applicant"]["documents"] == ["id", "household register"]


def test_a_parents_data_change_changes_the_childrens_deltas(workflow):
    review = _task(workflow, "Task_Review", TaskState.READY)
    _same_as_full(workflow)
    review.parent.data["score"] = 2  # the child keeps 1: its delta now records it
    after = _same_as_full(workflow)
    assert after["tasks"][str(review.id)]["delta"]["updates"] == {"score": 1}


def test_a_nan_shared_with_the_parent_is_written_as_the_full_dump_writes_it(workflow):
    review = _task(workflow, "Task_Review", TaskState.READY)
    nan = float("nan")
    review.parent.data["ratio"] = review.data["ratio"] = nan  # equal dicts, but nan != nan
    dumped = dump_encoded(workflow)
    assert dumped.text == json.dumps(state.dump(workflow))


def test_completing_tasks_and_new_tasks_keep_the_dump_exact(workflow):
    _same_as_full(workflow)
    review = _task(workflow, "Task_Review", TaskState.READY)
    review.data.update({"approved": "yes"})
    with command_time(NOW):
        review.run()
        workflow.do_engine_steps()
    _same_as_full(workflow)
    for task in workflow.get_tasks(state=TaskState.STARTED):
        task.data["notified"] = {"channel": "sms"}
        task.complete()
    with command_time(NOW):
        workflow.do_engine_steps()
    assert _same_as_full(workflow)["completed"] is workflow.is_completed()


def test_data_json_cannot_encode_falls_back_to_the_plain_dict(workflow):
    _task(workflow, "Task_Review", TaskState.READY).data["when"] = {1, 2}  # a set
    dumped = dump_encoded(workflow)
    assert not isinstance(dumped, EncodedJSON) and dumped == state.dump(workflow)
    del _task(workflow, "Task_Review", TaskState.READY).data["when"]
    _same_as_full(workflow)  # and the cache starts again from nothing


def test_the_verify_mode_names_the_task_and_field_of_a_stale_head(workflow, monkeypatch):
    """The one change the cache cannot see: a finished task's internal data changed
    deeper than its top level. Nothing does that today; if something ever does, the
    verify mode (on for the whole suite) says where."""
    monkeypatch.setenv(incremental.VERIFY_ENV, "1")
    workflow.task_tree.internal_data["nested"] = {"value": 1}
    dump_encoded(workflow)
    workflow.task_tree.internal_data["nested"]["value"] = 2
    with pytest.raises(StateMismatch, match=rf"task {workflow.task_tree.id} field 'internal_data'"):
        dump_encoded(workflow)


def test_the_state_column_stores_the_text_and_reads_back_the_document(engine):
    """Both backends: the pre-encoded text is what the row holds, and a plain dict
    is still encoded as before."""
    table = Instance.__table__
    document = {"tasks": {"a": {"data": {"名": [1, 2.5, None, True]}}}, "root": "a"}
    encoded = EncodedJSON(document, json.dumps(document))
    with engine.db.engine.begin() as conn:
        def roundtrip(value: Any) -> Any:
            return conn.execute(sa.select(sa.literal(value, type_=table.c.state.type))).scalar_one()

        assert roundtrip(encoded) == document
        assert roundtrip(dict(document)) == document
        # The text wins: it is what the column is given (the dict is only for readers).
        assert roundtrip(EncodedJSON(document, '{"root": "b"}')) == {"root": "b"}
