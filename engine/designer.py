"""The process designer's commands and queries (issue 13), mixed into `Engine`: drafts
saved on the server, the deploy checks run on a draft without deploying, a draft deployed
through the one deploy command, the versions of a process, the diff of two versions and a
simulation of a draft on the working-day calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from engine.audit import append_event
from engine.calendar.active import case_region, using
from engine.definitions import approval, drafts, file_drafts, repository
from engine.definitions.bundle import BundleFile
from engine.definitions.diff import Change, diff_xml
from engine.definitions.drafts import check_key
from engine.definitions.lint import form_keys
from engine.definitions.simulate import Message, Simulation, simulate
from engine.definitions.xml_safety import parse_xml
from engine.errors import Conflict, DefinitionInvalid, NotFound
from engine.runtime.commands.migrate_instance import MigrateInstance, MigrationPlan
from engine.scripting import command_budget
from engine.store.designer_models import ProcessDraft
from engine.store.models import Definition, Instance

if TYPE_CHECKING:
    from engine.calendar.store import DatabaseCalendar
    from engine.clock import Clock
    from engine.runtime.executor import Executor
    from engine.store.db import Database


class Designer:
    """Drafts, lint, versions, diff and simulation; mixed into `Engine` (which gives
    `deploy` and `definition_diagram`)."""

    db: Database
    clock: Clock
    calendar: DatabaseCalendar
    executor: Executor
    forms_root: Path | None
    known_topics: Collection[str] | None

    # drafts -------------------------------------------------------------------------
    def save_process_draft(self, key: str, xml: bytes, actor: str, base_definition_id: int | None = None,
                   revision: int | None = None) -> ProcessDraft:
        """Save the draft of process `key` (well-formed BPMN holding that process; not yet
        checked further: a draft may be unfinished). 409 when `revision` is stale."""
        with self.db.session() as s:
            return drafts.save(s, key, xml, actor, self.clock.now(), base_definition_id, revision)

    def process_draft(self, key: str) -> ProcessDraft | None:
        """The saved draft of `key`, if any."""
        with self.db.reading() as s:
            return s.get(ProcessDraft, drafts.check_key(key))

    def process_drafts(self) -> list[ProcessDraft]:
        """Every saved draft of a process, by key (not those of tables and forms: file_drafts.py)."""
        with self.db.reading() as s:
            return list(s.scalars(sa.select(ProcessDraft).where(~ProcessDraft.key.startswith(file_drafts.PREFIX))
                                  .order_by(ProcessDraft.key)))

    def discard_process_draft(self, key: str) -> None:
        """Delete the draft of `key` (404 when there is none)."""
        with self.db.session() as s:
            s.delete(drafts.get(s, key))

    def _draft_files(self, key: str, xml: bytes) -> list[Any]:
        with self.db.reading() as s:
            draft = s.get(ProcessDraft, drafts.check_key(key))
            base = s.get(Definition, draft.base_definition_id) if draft and draft.base_definition_id else None
            files = drafts.bundle(s, key, xml, base or drafts.latest(s, key))
        # A table or form saved as a draft in the designer goes with the diagram that uses it
        # (a new user task's new form); the rest as deployed.
        names = {k for f in files if f.kind == "bpmn" for k in form_keys(parse_xml(f.content, f.name))}
        names |= {f.name for f in files if f.kind == "dmn"}
        saved = self.file_drafts_for(names)  # type: ignore[attr-defined]
        out = [BundleFile(f.name, f.kind, saved.pop(f.name)) if f.name in saved else f for f in files]
        return out + [BundleFile(n, "form", c) for n, c in sorted(saved.items())]

    def lint_draft(self, key: str, xml: bytes) -> list[dict]:
        """Every problem the deploy command would refuse `xml` (the draft of `key`) for, with
        the files it refers to; empty when it would deploy. Nothing is stored."""
        try:
            files = self._draft_files(key, xml)
            with command_budget(self.executor.limits), using(self.calendar):
                items_path = self.items_path  # type: ignore[attr-defined]  # PortalService's
                repository.check_files(files, self.forms_root, self.known_topics, items_path)
        except DefinitionInvalid as err:
            return drafts.problems_of(err)
        return []

    def deploy_draft(self, key: str, actor: str, confirm_failing: bool = False) -> repository.DeployResult:
        """Deploy the saved draft of `key` with the deployed files it refers to, through the
        one deploy command (its checks, versions and second-person approval); the draft is
        deleted once deployed. Every saved scenario of `key` runs on the draft first: when
        one fails, 409 naming them unless `confirm_failing`, and a deploy so confirmed is
        an event of the definitions' audit chain naming the failing scenarios."""
        with self.db.reading() as s:
            xml = drafts.get(s, key).xml
        failing = [r for r in self.run_scenarios(key, xml) if not r.passed]
        if failing and not confirm_failing:
            raise Conflict(f"{len(failing)} saved scenario(s) of {key} fail on this draft: "
                           f"{', '.join(r.name for r in failing)}; confirm to deploy anyway",
                           {"process": key, "scenarios": [{"name": r.name, "failures": r.failures} for r in failing]})
        result = self.deploy(self._draft_files(key, xml), actor)
        if failing:
            with self.db.session() as s:
                append_event(s, approval.CHAIN, "deploy_with_failing_scenarios", actor, self.clock.now(),
                             {"process": key, "deployment": result.deployment_id,
                              "versions": [approval.label(d) for d in result.definitions if d.key == key],
                              "scenarios": {r.name: r.failures for r in failing}}, [])
        with self.db.session() as s:
            draft = s.get(ProcessDraft, key)
            if draft is not None and draft.xml == xml:  # not saved again meanwhile
                s.delete(draft)
        return result

    # versions -----------------------------------------------------------------------
    def process_versions(self, key: str) -> list[Definition]:
        """The deployed versions of process `key`, newest first."""
        with self.db.reading() as s:
            return list(s.scalars(sa.select(Definition).where(Definition.key == drafts.check_key(key))
                                  .order_by(Definition.version.desc())))

    def process_version(self, key: str, version: int) -> Definition:
        """Version `version` of `key` (404 naming it when there is none)."""
        with self.db.reading() as s:
            found = s.scalar(sa.select(Definition).where(Definition.key == key, Definition.version == version))
        if found is None:
            raise NotFound(f"no deployed definition '{key}:{version}'", {"definition": f"{key}:{version}"})
        return found

    def version_files(self, key: str, version: int) -> list[BundleFile]:
        """The files of version `version` of `key` (its diagram, called processes, tables and
        forms) as deployed: `relief deploy` of them gives the same version (same hash)."""
        definition = self.process_version(check_key(key), version)
        with self.db.reading() as s:
            return repository.version_files(s, definition)

    def diff_versions(self, old: Definition, new: Definition) -> list[Change]:
        """Elements added, removed and changed from `old` to `new` (their process's diagram)."""
        return diff_xml(self.definition_diagram(old), self.definition_diagram(new))

    def migrate_case(self, instance_id: str, version: int, actor: str, process_key: str | None = None,
                     mapping: dict[str, str] | None = None) -> Instance:
        """Move running case `instance_id` to `version` of its process, when every element it
        has reached or predicted is there as it is, or under the id `mapping` gives it (old
        id → new id); 409 naming those that are not and why, 422 for a mapping that names no
        such elements. Its open tasks, jobs and timers stay (migrate_instance.py); the move,
        with the mapping, is an event of the case's audit chain."""
        return self.executor.run(MigrateInstance(instance_id, version, process_key, mapping), actor)

    def preview_migration(self, instance_id: str, version: int, actor: str, process_key: str | None = None,
                          mapping: dict[str, str] | None = None) -> MigrationPlan:
        """What `migrate_case` would do, changing nothing: whether the case moves, what it
        waits at (old id → new id) and what stands in the way (element, completed / active /
        predicted, missing / different kind)."""
        return self.executor.run(MigrateInstance(instance_id, version, process_key, mapping, preview=True), actor)

    def running_cases(self, definition: Definition, limit: int = 200) -> list[Instance]:
        """Running cases of one version, oldest first (those a migration may move)."""
        with self.db.reading() as s:
            return list(s.scalars(sa.select(Instance).where(Instance.definition_id == definition.id,
                                                            Instance.status == "running")
                                  .order_by(Instance.started_at, Instance.id).limit(limit)))

    # simulation ---------------------------------------------------------------------
    def simulate_draft(self, key: str, xml: bytes, data: dict[str, Any], start: dt.datetime,
                       late: Collection[str] = (), task_data: dict[str, dict[str, Any]] | None = None,
                       messages: list[Message] | None = None) -> Simulation:
        """Run `xml` (a draft of `key`, passing the deploy checks) in memory from `start` on
        `data` (and the scenario's `messages` when it waits for them), deadlines on this
        database's working-day calendar; nothing is stored.
        DefinitionInvalid (422 with the problems) when the draft would not deploy."""
        files = self._draft_files(key, xml)
        region = data.get("region") if isinstance(data.get("region"), str) else None
        with command_budget(self.executor.limits), using(self.calendar), case_region(region):
            items_path = self.items_path  # type: ignore[attr-defined]  # PortalService's
            bundle, _ = repository.check_files(files, self.forms_root, self.known_topics, items_path)
            return simulate(bundle.processes[key], data, start, late, task_data, messages)
