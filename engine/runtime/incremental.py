"""Incremental dump of a workflow's state: only what changed is converted and encoded again.

`state.dump` converts every task on every command and SQLAlchemy then encodes the whole
document again; for a Jiangyin case that cost more than running the diagram in memory.
Here each task's JSON text is assembled from two parts:

* the *head* (id, parent, children, last_state_change, state, task_spec, triggered,
  internal_data): converted and encoded once, then reused while nothing of it moved: same
  task object, state, last_state_change, triggered, parent, children, and internal_data
  the same dict, either still empty or, on a finished task (COMPLETED, CANCELLED, ERROR),
  holding the same value objects under the same keys. A live task with internal data is
  always done again: a WAITING timer's due time is replaced under the same key
  (recompute_deadlines), event payloads are written with no state change, and
  multi-instance tasks append to nested lists in theirs.
* the *data*: always computed again (the delta against the parent's data, or the root's
  full data). Task data is not a safe cache key even for finished tasks: a child's data is
  only a shallow copy of its parent's, so a script that changes a nested list or dict in
  place (allowed: `restricted._write`) changes the data of finished ancestors as well.
  Most tasks hold their parent's data unchanged, which one dict comparison in C tells; an
  empty delta is a constant string.

Measured on the Jiangyin case (13 dumps): ~2x cheaper than `state.dump` plus the
encoding, ~40 % of it being that data comparison, which no cache can soundly skip.

A workflow restored from the database (`state.load`) starts with no cache: its first dump
is a full one: seeding it from the stored dicts would cost the same encoding again.

The text goes to the database as is (`EncodedJSON`, see `engine.store.base`); the dict
beside it is equal to what `state.dump` returns, for readers of the row in the same session.

With `RELIEF_VERIFY_STATE=1` (the test suite sets it) every incremental dump is compared
with the full one, dict and text, and a difference raises `StateMismatch` naming the task
and the field.
"""

from __future__ import annotations

import json
import operator
import os
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.runtime import state
from engine.runtime.state_check import StateMismatch, first_difference
from engine.store.base import EncodedJSON

__all__ = ["StateMismatch", "dump_encoded", "verifying"]

VERIFY_ENV = "RELIEF_VERIFY_STATE"
_REGISTRY = state.REGISTRY
_CACHE_ATTR = "_relief_state_cache"  # on the BpmnWorkflow: the cache lives and dies with it
_FINISHED = TaskState.FINISHED_MASK


def _not_serialisable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json.dumps with its default settings, which is what SQLAlchemy (SQLite) and psycopg use
# for JSON columns; the text must come out the same. json.dumps builds a new C encoder on
# every call, which is most of its cost on the small pieces encoded here (~4 us of ~6), so
# one is kept. Without the circular-reference check: a cycle raises RecursionError, and
# `dump_encoded` then leaves the encoding to the database layer, which reports it as before.
_C_ENCODER = c_make_encoder(None, _not_serialisable, encode_basestring_ascii, None, ": ", ", ",
                            False, False, True) if c_make_encoder is not None else None


def _dumps(value: Any) -> str:
    if _C_ENCODER is None:
        return json.dumps(value)
    return "".join(_C_ENCODER(value, 0))


# The format assembled here is TaskConverter's; a differently configured registry would
# make every dump wrong, so it is checked once rather than discovered in the verify mode.
_task_to_dict = _REGISTRY.convert_to_dict[_REGISTRY.typenames[Task]].args[1]
if not isinstance(getattr(_task_to_dict, "__self__", None), TaskConverter):
    raise ImportError("engine.runtime.incremental assumes SpiffWorkflow's delta-based TaskConverter")
_TASK_TYPENAME = _REGISTRY.typenames[Task]
_WORKFLOW_TYPENAME = _REGISTRY.typenames[BpmnWorkflow]
_SUBWORKFLOW_TYPENAME = _REGISTRY.typenames[BpmnSubWorkflow]
_TYPENAME_TAIL = f', "typename": {encode_basestring_ascii(_TASK_TYPENAME)}}}'
_EMPTY_DELTA_TAIL = ', "data": {}, "delta": {"updates": {}, "deletions": []}' + _TYPENAME_TAIL
# Types whose `x != y` is exactly `not x == y` for the identical object (lists and dicts
# compare their items the same way for both).
_PLAIN_TYPES = frozenset((str, int, bool, type(None), list, dict))
_HEAD_KEYS = ("id", "parent", "children", "last_state_change", "state", "task_spec", "triggered", "internal_data")


class _Head:
    """A task's converted head with what it was computed from (the fingerprint)."""

    __slots__ = ("state", "lsc", "triggered", "parent", "children", "idata", "idata_keys", "idata_values",
                 "fields", "text", "deleted", "deleted_tail")

    def __init__(self, task: Task, parent: str | None, previous: _Head | None) -> None:
        self.state = task._state
        self.lsc = task.last_state_change
        self.triggered = task.triggered
        self.parent = task._parent
        self.children = list(task._children)
        # The dict and its values are held (not their id()) so that no new object can be
        # mistaken for them.
        self.idata = task.internal_data
        self.idata_keys = tuple(task.internal_data)
        self.idata_values = tuple(task.internal_data.values())
        if previous is not None:  # the same task object: its id, and maybe its children, as strings
            task_id = previous.fields[0]
            children = previous.fields[2] if previous.children == self.children else [str(c) for c in self.children]
        else:
            task_id, children = str(task.id), [str(c) for c in self.children]
        idata = _REGISTRY.convert(task.internal_data) if self.idata_keys else {}
        self.fields = (task_id, parent, children, self.lsc, self.state, task.task_spec.name, self.triggered, idata)
        # '"<id>": {"id": ..., "internal_data": {...}' -- data, delta and typename follow.
        # A predicted task has no data yet: its delta deletes every key of its parent's,
        # the same list command after command; its text is kept with the keys it is for.
        self.deleted: list[str] | None = None
        self.deleted_tail = ""
        head = dict(zip(_HEAD_KEYS, self.fields, strict=True))
        self.text = f"{encode_basestring_ascii(task_id)}: {_dumps(head)[:-1]}"

    def holds(self, task: Task) -> bool:
        """Whether this head (cached for this very task object) is still the task's.

        internal_data is the one field that changes with no other sign (a timer's value
        moved, an event payload, a multi-instance task's `merged` list), so: an empty dict
        proves itself unchanged (anything put in changes its size); a non-empty one is
        trusted only on a finished task and only if it is the same dict holding the same
        value objects under the same keys (a finished task's internal data is not changed
        in place by SpiffWorkflow or by our commands; the verify mode would catch it)."""
        if not (self.state == task._state and self.lsc == task.last_state_change and self.triggered is task.triggered
                and (self.parent is task._parent or self.parent == task._parent) and self.children == task._children):
            return False
        idata = task.internal_data
        if self.idata is not idata:
            return False
        if not self.idata_keys:
            return not idata
        return (bool(task._state & _FINISHED) and len(idata) == len(self.idata_keys)
                and self.idata_keys == tuple(idata) and all(map(operator.is_, self.idata_values, idata.values())))


def _same_objects(kept: list[Any] | None, current: list[Any]) -> bool:
    # Identity, not ==: 1 == True, but they are written differently.
    return kept is not None and len(kept) == len(current) and all(map(operator.is_, kept, current))


def verifying() -> bool:
    """Whether every incremental dump is checked against the full one (env RELIEF_VERIFY_STATE)."""
    return os.environ.get(VERIFY_ENV, "") not in ("", "0")


def dump_encoded(workflow: BpmnWorkflow) -> dict[str, Any]:
    """`state.dump(workflow)` with its JSON text (an `EncodedJSON`), converting and encoding
    again only the parts of tasks that may have changed since the last call.

    Data that JSON cannot encode gives the plain dict instead, so that the database layer
    raises exactly the error it raised before."""
    _REGISTRY._encoder_mode = False
    old: dict[Task, _Head] = getattr(workflow, _CACHE_ATTR, None) or {}
    heads: dict[Task, _Head] = {}
    try:
        content, text = _top(workflow, old, heads)
    except (TypeError, ValueError, RecursionError):
        setattr(workflow, _CACHE_ATTR, None)
        return state.dump(workflow)
    # Only now: a dump that failed half-way must not leave half a cache behind.
    setattr(workflow, _CACHE_ATTR, heads)
    result = EncodedJSON(content, text)
    if verifying():
        _verify(workflow, result)
    return result


def _top(workflow: BpmnWorkflow, old: dict[Task, _Head], heads: dict[Task, _Head]) -> tuple[dict[str, Any], str]:
    """The whole document, dict and text, in the converter's key order."""
    content, head_text, tasks_text = _workflow_part(workflow, old, heads)
    subprocesses: dict[str, Any] = {}
    texts = []
    for key, sub in workflow.subprocesses.items():
        sub_content, sub_head, sub_tasks = _workflow_part(sub, old, heads)
        tail = {"root": sub_content.pop("root"), "parent_task_id": str(sub.parent_task_id), "spec": sub.spec.name,
                "typename": _SUBWORKFLOW_TYPENAME}
        sub_content.update(tail)
        subprocesses[str(key)] = sub_content
        texts.append(f"{_dumps(str(key))}: {sub_head}, \"tasks\": {sub_tasks}, {_dumps(tail)[1:]}")
    tail = {"bpmn_events": _REGISTRY.convert(workflow.bpmn_events), "typename": _WORKFLOW_TYPENAME,
            state.VERSION_KEY: state.VERSION}
    content["subprocesses"] = subprocesses
    content.update(tail)
    text = (f"{head_text}, \"tasks\": {tasks_text}, \"root\": {_dumps(content['root'])}, "
            f"\"subprocesses\": {{{', '.join(texts)}}}, {_dumps(tail)[1:]}")
    return content, text


def _workflow_part(workflow: Any, old: dict[Task, _Head],
                   heads: dict[Task, _Head]) -> tuple[dict[str, Any], str, str]:
    """A (sub)workflow's fields before `tasks` (dict and text without the closing brace),
    with its tasks (as text); the dict gets `tasks` and `root`."""
    head = {
        "data": _REGISTRY.convert(_REGISTRY.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
    }
    head_text = _dumps(head)[:-1]
    tasks, texts = _tasks(workflow, old, heads)
    head["tasks"] = tasks
    head["root"] = str(workflow.task_tree.id)
    return head, head_text, "{" + ", ".join(texts) + "}"


def _tasks(workflow: Any, old: dict[Task, _Head], heads: dict[Task, _Head]) -> tuple[dict[str, Any], list[str]]:
    """Every task of one (sub)workflow as TaskConverter.to_dict gives it, and as JSON text.
    The hot loop of a command's persistence: keep it lean."""
    all_tasks = workflow.tasks
    out: dict[str, Any] = {}
    texts: list[str] = []
    updated_keys, deleted_keys = DeepMerge.get_updated_keys, DeepMerge.get_deleted_keys
    # Shared by the tasks of this dump whose delta is empty, and the heads' children lists
    # and internal data are shared with the cache: every container allocated here is work
    # for the garbage collector (measured: half of the dump's time in the engine process).
    # The text, built from immutable strings, is what is stored; readers never mutate a dump.
    empty_delta: dict[str, Any] = {"updates": {}, "deletions": []}
    for task in all_tasks.values():
        parent = all_tasks.get(task._parent)  # as Task.parent: looked up in the task's own workflow
        head = old.get(task)  # keyed by the task object: a new object with the same id is a new task
        if head is None or not head.holds(task):
            head = _Head(task, str(task._parent) if parent is not None else None, head)
        heads[task] = head
        if parent is None:
            data, delta = task.data, {}
            tail = f', "data": {_dumps(data)}, "delta": {{}}{_TYPENAME_TAIL}'
        else:
            # Always again (see the module docstring): the data may have changed in place.
            # Most tasks hold their parent's data unchanged: one comparison in C says so.
            # (Not for a top-level value such as NaN, for which `x != x` although the dict
            # comparison finds the identical object equal: get_updated_keys would list it.)
            data, pdata, tdata = {}, parent.data, task.data
            if tdata == pdata and _PLAIN_TYPES.issuperset(map(type, tdata.values())):
                delta, tail = empty_delta, _EMPTY_DELTA_TAIL
            else:
                delta = {"updates": updated_keys(pdata, tdata), "deletions": deleted_keys(pdata, tdata)}
                if delta["updates"]:
                    tail = f', "data": {{}}, "delta": {_dumps(delta)}{_TYPENAME_TAIL}'
                elif delta["deletions"]:
                    if not _same_objects(head.deleted, delta["deletions"]):
                        head.deleted = delta["deletions"]
                        head.deleted_tail = f', "data": {{}}, "delta": {_dumps(delta)}{_TYPENAME_TAIL}'
                    tail = head.deleted_tail
                else:
                    tail = _EMPTY_DELTA_TAIL
        f = head.fields
        out[f[0]] = {"id": f[0], "parent": f[1], "children": f[2], "last_state_change": f[3],
                     "state": f[4], "task_spec": f[5], "triggered": f[6], "internal_data": f[7],
                     "data": data, "delta": delta, "typename": _TASK_TYPENAME}
        texts.append(head.text + tail)
    return out, texts


def _verify(workflow: BpmnWorkflow, result: EncodedJSON) -> None:
    """Raise StateMismatch where the incremental dump differs from the full one."""
    full = state.dump(workflow)
    where = first_difference(full, dict(result))
    if where is not None:
        raise StateMismatch(f"incremental state dict differs from the full dump at {where}")
    expected = json.dumps(full)
    if result.text != expected:
        where = first_difference(json.loads(expected), json.loads(result.text))
        raise StateMismatch(f"incremental state text differs from the full dump at {where or 'the text'}")


def forget(workflow: BpmnWorkflow) -> None:
    """Drop `workflow`'s cache: its tasks changed in a way the cache keys do not see (a
    migration gives them other specs), so the next dump is a full one."""
    setattr(workflow, _CACHE_ATTR, None)
