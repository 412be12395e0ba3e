"""Move a running case to another version of its process (issue 13), only when it is safe.

Safe here means strict: every element the case has reached or predicted (in the process
and in each called process it is inside) exists in the target version with the same id
(or the id the designer's element mapping gives it: old id → new id, for elements renamed
between the versions) and the same kind. Then each of the case's tasks takes the target's
spec of that element; what the case has done, its open tasks (same ids: claims stay), jobs
and timers (same due times: a deadline is not restarted) stay as they are, and what
follows is decided by the target version. Anything else is refused with the elements that
stand in the way and why (a completed, active or predicted element missing or of another
kind), and nothing changes. A preview answers the same checks and what would move without
changing anything. The move is one event in the case's audit chain, with the mapping, so
that the auditor's re-execution (engine/audit/replay.py) moves its replay the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.task import TaskState

from engine.definitions import approval
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.runtime import incremental, inspect
from engine.runtime.context import CommandContext
from engine.store.models import Definition, HumanTask, Instance, Job, Timer

MAX_MAPPING = 200  # old id → new id pairs in one migration
_DONE = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR
_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING


def mapped_name(name: str, mapping: dict[str, str]) -> str:
    """The target spec name of the case's spec `name`: mapped itself, or an internal step
    named after a mapped element (`Task_A.BoundaryEventSplit`), or unchanged."""
    if name in mapping:
        return mapping[name]
    head, dot, rest = name.partition(".")
    return f"{mapping[head]}.{rest}" if dot and head in mapping else name


def _where(state: int) -> str:
    if state & _DONE:
        return "completed"
    return "active" if state & _ACTIVE else "predicted"


def _obstacles(workflow: Any, spec: Any, where: str, mapping: dict[str, str]) -> list[dict[str, str]]:
    """The case's elements in `workflow` that `spec` lacks (after `mapping`) or has as another
    kind, each with the element's part in the case: completed, active or predicted."""
    found = []
    for task in workflow.tasks.values():
        old = task.task_spec
        ident = getattr(old, "bpmn_id", None)
        new = spec.task_specs.get(mapped_name(old.name, mapping))
        part = _where(task.state)
        if ident is None and new is None and old.name.partition(".")[0] in workflow.spec.task_specs \
                and old.name.partition(".")[2]:
            continue  # a boundary split or join of an element: that element's own check names it
        if ident is None and new is None:
            found.append({"element": old.name, "in": where, "reason": "internal step missing", "state": part})
        elif new is None:
            found.append({"element": ident or old.name, "in": where, "reason": "missing", "state": part})
        elif type(new) is not type(old):
            found.append({"element": ident or old.name, "in": where, "reason": "different kind", "state": part,
                          "now": type(new).__name__, "was": type(old).__name__})
    return _unique(found)


def _unique(items: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = set(), []
    for item in items:
        key = tuple(sorted(item.items()))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _all_specs(process: Any) -> dict[str, Any]:
    specs = dict(process.spec.task_specs)
    for sub in process.subprocess_specs.values():
        specs.update(sub.task_specs)
    return specs


def check_mapping(mapping: Any, current: Any, target: Any) -> dict[str, str]:
    """The designer's mapping (old element id → new element id), each old id an element of
    the case's version and each new id an element of the target of the same kind; 422
    naming the pair otherwise."""
    if mapping is None:
        return {}
    if not isinstance(mapping, dict) or len(mapping) > MAX_MAPPING or \
            not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in mapping.items()):
        raise ValidationFailed("mapping must be an object of old element id → new element id",
                               {"fields": {"mapping": [f"at most {MAX_MAPPING} pairs of element ids"]}})
    old_specs, new_specs = _all_specs(current), _all_specs(target)
    for old, new in mapping.items():
        before, after = old_specs.get(old), new_specs.get(new)
        problem = "not an element of the case's version" if before is None or getattr(before, "bpmn_id", None) \
            is None else "not an element of the target version" if after is None else \
            "another kind of element" if type(before) is not type(after) else None
        if problem:
            raise ValidationFailed(f"mapping {old} → {new}: {problem}",
                                   {"fields": {"mapping": [f"{old} → {new}: {problem}"]}, "element": old})
    return dict(mapping)


@dataclass
class MigrationPlan:
    """What `MigrateInstance(preview=True)` answers: whether the case would move, what it
    waits at (old id → new id) and what stands in the way."""

    instance: str
    business_key: str | None
    source: str  # key:version
    target: str
    waiting: list[dict[str, str]]
    obstacles: list[dict[str, str]]
    mapping: dict[str, str]

    @property
    def moves(self) -> bool:
        return not self.obstacles


@dataclass
class MigrateInstance:
    instance_id: str
    version: int  # the target version of the case's own process
    process_key: str | None = None  # when given, the case must be of this process
    mapping: dict[str, str] | None = None  # old element id → new element id
    preview: bool = False  # answer the MigrationPlan; change nothing
    name: str = "migrate_instance"
    moved: list[str] = field(default_factory=list, compare=False)  # after `execute`: the waiting elements

    def execute(self, ctx: CommandContext) -> Instance | MigrationPlan:
        row = ctx.require(Instance, self.instance_id, "instance", lock=not self.preview)
        if row.status != "running":
            raise Conflict(f"instance {row.id} is {row.status}", {"instance": row.id, "status": row.status})
        current = ctx.session.get(Definition, row.definition_id)
        if self.process_key is not None and current.key != self.process_key:
            raise Conflict(f"instance {row.id} is a case of {current.key}, not of {self.process_key}",
                           {"instance": row.id, "process": current.key})
        target = ctx.session.scalar(sa.select(Definition).where(Definition.key == current.key,
                                                                Definition.version == self.version))
        if target is None:
            raise NotFound(f"no deployed definition '{current.key}:{self.version}'",
                           {"definition": f"{current.key}:{self.version}"})
        if target.id == current.id:
            raise Conflict(f"instance {row.id} is on {approval.label(target)} already",
                           {"instance": row.id, "definition": approval.label(target)})
        approval.check_startable(target)  # a version awaiting approval takes no case, moved or new
        workflow = ctx.workflow(row)
        process = ctx.specs.process(ctx.session, target)
        mapping = check_mapping(self.mapping, ctx.specs.process(ctx.session, current), process)
        obstacles = _obstacles(workflow, process.spec, current.key, mapping)
        for sub in workflow.subprocesses.values():
            spec = process.subprocess_specs.get(sub.spec.name)
            if spec is None:
                obstacles.append({"element": sub.spec.name, "in": sub.spec.name, "reason": "called process missing",
                                  "state": "active"})
            else:
                obstacles += _obstacles(sub, spec, sub.spec.name, mapping)
        waiting = _waiting(workflow)
        if self.preview:
            return MigrationPlan(row.id, row.business_key, approval.label(current), approval.label(target),
                                 [{"element": e, "to": mapping.get(e, e)} for e in waiting], obstacles, mapping)
        if obstacles:
            names = ", ".join(sorted({o["element"] for o in obstacles}))
            raise Conflict(f"instance {row.id} cannot move to {approval.label(target)}: {names} "
                           "not in that version as they are in the case", {"instance": row.id,
                                                                             "definition": approval.label(target),
                                                                             "obstacles": obstacles})
        self.moved = waiting
        adopt(workflow, process.spec, process.subprocess_specs, mapping)
        _rename_rows(ctx, row.id, mapping, process)
        row.definition_id = target.id
        ctx.run_engine(workflow)  # what the target version does next, from where the case stands
        entry: dict[str, Any] = {"from": approval.label(current), "to": approval.label(target), "waiting": self.moved}
        if mapping:
            entry["mapping"] = mapping
        ctx.record(row, self.name, entry)
        return ctx.returned(row)


def _waiting(workflow: Any) -> list[str]:
    """The elements the case waits at (people's tasks, jobs, timers, messages)."""
    return sorted({ident for t in inspect.all_tasks(workflow)
                   if t.state in (TaskState.READY, TaskState.STARTED, TaskState.WAITING)
                   and (ident := inspect.bpmn_id(t)) is not None})


def _rename_rows(ctx: CommandContext, instance_id: str, mapping: dict[str, str], process: Any) -> None:
    """The open tasks, jobs and timers of mapped elements under their new ids (same rows:
    claims and due times stay); an open task also takes the new element's name."""
    specs = _all_specs(process)
    for old, new in mapping.items():
        name = (getattr(specs[new], "bpmn_name", None) or "").strip()
        for model in (HumanTask, Job, Timer):
            values: dict[str, Any] = {"bpmn_id": new}
            if model is HumanTask and name:
                values["name"] = name[:255]
            ctx.session.execute(sa.update(model).where(model.instance_id == instance_id, model.bpmn_id == old)
                                .values(**values))


def adopt(workflow: Any, spec: Any, subprocess_specs: dict[str, Any], mapping: dict[str, str] | None = None) -> None:
    """Give the case's tasks the target's specs (same names, or as `mapping` renames them:
    checked by `_obstacles`). Shared with the auditor's re-execution."""
    mapping = mapping or {}
    incremental.forget(workflow)  # the tasks' specs change under the cache's keys
    workflow.spec = spec
    workflow.subprocess_specs = subprocess_specs
    for task in workflow.tasks.values():
        task.task_spec = spec.task_specs[mapped_name(task.task_spec.name, mapping)]
    for sub in workflow.subprocesses.values():
        sub.spec = subprocess_specs[sub.spec.name]
        for task in sub.tasks.values():
            task.task_spec = sub.spec.task_specs[mapped_name(task.task_spec.name, mapping)]
