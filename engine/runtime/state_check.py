"""Where two state documents differ: the verification of the incremental dump."""

from __future__ import annotations

from typing import Any


class StateMismatch(AssertionError):
    """The incremental dump of a workflow differs from the full one (a stale cache)."""


def first_difference(full: dict[str, Any], other: dict[str, Any]) -> str | None:
    """The first place where `other` differs from `full`, named by (sub)workflow, task id
    and field, or None if they are equal."""
    if full == other:
        return None
    where = _workflow_difference(full, other, "workflow")
    if where is not None:
        return where
    subs, other_subs = full.get("subprocesses", {}), other.get("subprocesses", {})
    if isinstance(subs, dict) and isinstance(other_subs, dict):
        for key in subs.keys() | other_subs.keys():
            if key not in subs or key not in other_subs:
                return f"subprocess {key}: present in only one"
            where = _workflow_difference(subs[key], other_subs[key], f"subprocess {key}")
            if where is not None:
                return where
    return _fields(full, other, "workflow", skip=("tasks",)) or "the document (same fields, other order?)"


def _workflow_difference(full: dict[str, Any], other: dict[str, Any], name: str) -> str | None:
    tasks, other_tasks = full.get("tasks", {}), other.get("tasks", {})
    if list(tasks) != list(other_tasks):
        return f"{name} tasks: ids {sorted(tasks.keys() ^ other_tasks.keys())} differ (or their order)"
    for task_id, task in tasks.items():
        where = _fields(task, other_tasks[task_id], f"{name} task {task_id}")
        if where is not None:
            return where
    return _fields(full, other, name, skip=("tasks", "subprocesses"))


def _fields(full: dict[str, Any], other: dict[str, Any], name: str, skip: tuple[str, ...] = ()) -> str | None:
    if list(full) != list(other):
        return f"{name}: fields {list(full)} != {list(other)}"
    for field, value in full.items():
        if field not in skip and value != other[field]:
            return f"{name} field {field!r}: full {value!r} != incremental {other[field]!r}"
    return None
