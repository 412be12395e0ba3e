"""Saved simulation scenarios of the process designer (issue 13), mixed into `Engine`:
saved per process, re-run on a draft as regression checks, and run before each deploy
(`Designer.deploy_draft` refuses a draft that fails one unless the designer confirms, and
that confirmation is audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from engine.definitions import drafts
from engine.definitions.scenarios import check_name, failures, parse_expected, parse_scenario
from engine.definitions.simulate import Simulation
from engine.errors import NotFound, ValidationFailed
from engine.store.designer_models import ProcessDraft, SimulationScenario

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.store.db import Database

MAX_SCENARIOS = 100  # per process: all of them run before each deploy


@dataclass
class ScenarioResult:
    """One scenario run on one diagram: passed when `failures` is empty."""

    name: str
    failures: list[dict[str, Any]] = field(default_factory=list)
    simulation: Simulation | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


class DesignerScenarios:
    """Saved scenarios; mixed into `Engine` (which gives `simulate_draft`, `process_versions`
    and `definition_diagram`)."""

    db: Database
    clock: Clock

    def save_scenario(self, key: str, name: str, scenario: Any, expected: Any, actor: str) -> SimulationScenario:
        """Save (or replace) scenario `name` of process `key`; 422 naming the field at fault."""
        key, name = drafts.check_key(key), check_name(name)
        parse_scenario(scenario)
        parse_expected(expected)
        with self.db.session() as s:
            row = s.scalar(sa.select(SimulationScenario).where(SimulationScenario.key == key,
                                                               SimulationScenario.name == name))
            if row is None:
                count = s.scalar(sa.select(sa.func.count(SimulationScenario.id)).where(SimulationScenario.key == key))
                if count >= MAX_SCENARIOS:
                    raise ValidationFailed(f"process {key} has {MAX_SCENARIOS} scenarios already",
                                           {"fields": {"name": [f"at most {MAX_SCENARIOS} scenarios per process"]}})
                row = SimulationScenario(key=key, name=name)
                s.add(row)
            row.scenario, row.expected = scenario, expected
            row.updated_at, row.updated_by = self.clock.now(), actor
            s.flush()
            return row

    def scenarios(self, key: str) -> list[SimulationScenario]:
        """The saved scenarios of process `key`, by name."""
        with self.db.reading() as s:
            return list(s.scalars(sa.select(SimulationScenario).where(SimulationScenario.key == drafts.check_key(key))
                                  .order_by(SimulationScenario.name)))

    def delete_scenario(self, key: str, name: str) -> None:
        """Delete scenario `name` of `key` (404 when there is none)."""
        with self.db.session() as s:
            row = s.scalar(sa.select(SimulationScenario).where(SimulationScenario.key == drafts.check_key(key),
                                                               SimulationScenario.name == name))
            if row is None:
                raise NotFound(f"process {key} has no scenario '{name}'", {"scenario": name})
            s.delete(row)

    def scenario_diagram(self, key: str) -> bytes:
        """What the scenarios run on when no diagram is given: the saved draft, else the
        latest version (404 when there is neither)."""
        with self.db.reading() as s:
            draft = s.get(ProcessDraft, drafts.check_key(key))
        if draft is not None:
            return draft.xml
        versions = self.process_versions(key)  # type: ignore[attr-defined]
        if not versions:
            raise NotFound(f"no process or draft '{key}'", {"process": key})
        return self.definition_diagram(versions[0])  # type: ignore[attr-defined]

    def run_scenarios(self, key: str, xml: bytes | None = None) -> list[ScenarioResult]:
        """Every saved scenario of `key` run on `xml` (default: `scenario_diagram`), each
        with how it differs from its expected outcome. DefinitionInvalid when the diagram
        would not deploy. Nothing is stored."""
        rows = self.scenarios(key)
        if not rows:
            return []
        xml = xml if xml is not None else self.scenario_diagram(key)
        results = []
        for row in rows:
            try:
                scenario, expected = parse_scenario(row.scenario), parse_expected(row.expected)
            except Exception as err:  # saved before a stricter check: a failure, not a crash
                results.append(ScenarioResult(row.name, [{"check": "invalid", "expected": None,
                                                          "actual": getattr(err, "message", str(err))}]))
                continue
            simulation = self.simulate_draft(key, xml, scenario.data, scenario.start,  # type: ignore[attr-defined]
                                             scenario.late, scenario.task_data, scenario.messages)
            results.append(ScenarioResult(row.name, failures(simulation, expected), simulation))
        return results
