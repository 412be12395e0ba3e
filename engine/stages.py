"""The stage filter's choices from the deployed definitions (issue 15): the user tasks of
every deployed process, with the groups they are offered to, parsed once per definition
(a definition never changes) and kept per engine. Before, the choices were a DISTINCT over
every open task the user may see, read on each view of the work list."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth import Principal
from engine.definitions.repository import SpecCache
from engine.store.models import Definition

# A stage's groups: a frozenset, or None when they are decided per case (an expression).
Stage = tuple[str, str, frozenset[str] | None]


class StageChoices:
    """(element id, name) of the user tasks of the deployed processes, per definition."""

    def __init__(self, specs: SpecCache) -> None:
        self.specs = specs
        self._by_definition: dict[int, list[Stage]] = {}
        self._lock = threading.Lock()

    def for_user(self, session: Session, who: Principal) -> list[tuple[str, str]]:
        """The stages offered to one of `who`'s groups (admins: all; a stage whose groups
        an expression decides: everyone's), by name."""
        return self.for_definitions(session, who, session.scalars(sa.select(Definition.id)))

    def for_definitions(self, session: Session, who: Principal, ids: Iterable[int]) -> list[tuple[str, str]]:
        """`for_user` over the definitions `ids` (read by the caller, with what else it reads
        of them: the work list's process names)."""
        groups = set(who.groups)
        found: set[tuple[str, str]] = set()
        for definition_id in ids:
            for element, name, offered in self._stages(session, definition_id):
                if who.is_admin or offered is None or offered & groups:
                    found.add((element, name))
        return sorted(found, key=lambda r: (r[1], r[0]))

    def _stages(self, session: Session, definition_id: int) -> list[Stage]:
        stages = self._by_definition.get(definition_id)
        if stages is None:
            definition = session.get(Definition, definition_id)
            process = self.specs.process(session, definition)
            stages = sorted(set(_user_tasks([process.spec, *process.subprocess_specs.values()])))
            with self._lock:
                self._by_definition[definition_id] = stages
        return stages


def _user_tasks(specs: list[Any]) -> list[Stage]:
    """The user tasks of process specs, as the task rows name them (engine/runtime/projections.py)."""
    out = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            if not element or not getattr(task_spec, "manual", False):
                continue
            props = (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}
            if props.get("candidateGroupsExpression"):
                offered = None
            elif props.get("candidateGroups"):
                offered = frozenset(g.strip() for g in props["candidateGroups"].split(",") if g.strip())
            else:
                lane = getattr(task_spec, "lane", None)
                offered = frozenset([lane.strip()]) if isinstance(lane, str) and lane.strip() else frozenset()
            out.append((element, task_spec.bpmn_name or element, offered))
    return out
