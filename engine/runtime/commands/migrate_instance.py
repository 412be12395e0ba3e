"""Move a running case to another version of its process (issue 13), only when it is safe.

Safe here means strict: every element the case has reached or predicted (in the process
and in each called process it is inside) exists in the target version with the same id
and the same kind. Then each of the case's tasks takes the target's spec of the same
element; what the case has done, its open tasks (same ids: claims stay), jobs and timers
(same due times: a deadline is not restarted) stay as they are, and what follows is
decided by the target version. Anything else is refused with the elements that stand in
the way, and nothing changes. The move is one event in the case's audit chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.task import TaskState

from engine.definitions import approval
from engine.errors import Conflict, NotFound
from engine.runtime import inspect
from engine.runtime.executor import CommandContext
from engine.store.models import Definition, Instance


def _obstacles(workflow: Any, spec: Any, where: str) -> list[dict[str, str]]:
    """The case's elements in `workflow` that `spec` lacks or has as another kind."""
    found = []
    for task in workflow.tasks.values():
        old = task.task_spec
        ident = getattr(old, "bpmn_id", None)
        if ident is None and old.name not in spec.task_specs:
            found.append({"element": old.name, "in": where, "reason": "internal step missing"})
            continue
        new = spec.task_specs.get(old.name)
        if new is None:
            found.append({"element": ident or old.name, "in": where, "reason": "missing"})
        elif type(new) is not type(old):
            found.append({"element": ident or old.name, "in": where, "reason": "different kind"})
    return _unique(found)


def _unique(items: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = set(), []
    for item in items:
        key = tuple(sorted(item.items()))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@dataclass
class MigrateInstance:
    instance_id: str
    version: int  # the target version of the case's own process
    process_key: str | None = None  # when given, the case must be of this process
    name: str = "migrate_instance"
    moved: list[str] = field(default_factory=list, compare=False)  # after `execute`: the waiting elements

    def execute(self, ctx: CommandContext) -> Instance:
        row = ctx.require(Instance, self.instance_id, "instance", lock=True)
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
        obstacles = _obstacles(workflow, process.spec, current.key)
        for sub in workflow.subprocesses.values():
            spec = process.subprocess_specs.get(sub.spec.name)
            if spec is None:
                obstacles.append({"element": sub.spec.name, "in": sub.spec.name, "reason": "called process missing"})
            else:
                obstacles += _obstacles(sub, spec, sub.spec.name)
        if obstacles:
            names = ", ".join(sorted({o["element"] for o in obstacles}))
            raise Conflict(f"instance {row.id} cannot move to {approval.label(target)}: {names} "
                           "not in that version as they are in the case", {"instance": row.id,
                                                                             "definition": approval.label(target),
                                                                             "obstacles": obstacles})
        self.moved = _waiting(workflow)
        _adopt(workflow, process.spec, process.subprocess_specs)
        row.definition_id = target.id
        ctx.run_engine(workflow)  # what the target version does next, from where the case stands
        ctx.record(row, self.name, {"from": approval.label(current), "to": approval.label(target),
                                    "waiting": self.moved})
        return ctx.returned(row)


def _waiting(workflow: Any) -> list[str]:
    """The elements the case waits at (people's tasks, jobs, timers, messages)."""
    return sorted({ident for t in inspect.all_tasks(workflow)
                   if t.state in (TaskState.READY, TaskState.STARTED, TaskState.WAITING)
                   and (ident := inspect.bpmn_id(t)) is not None})


def _adopt(workflow: Any, spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """Give the case's tasks the target's specs (same names: checked by `_obstacles`)."""
    workflow.spec = spec
    workflow.subprocess_specs = subprocess_specs
    for task in workflow.tasks.values():
        task.task_spec = spec.task_specs[task.task_spec.name]
    for sub in workflow.subprocesses.values():
        sub.spec = subprocess_specs[sub.spec.name]
        for task in sub.tasks.values():
            task.task_spec = sub.spec.task_specs[task.task_spec.name]
