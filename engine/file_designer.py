"""The designer's routing tables and forms (issue 13), mixed into `Engine`: open a deployed
table or form or its draft, save drafts on the server, run the deploy checks on a draft
(alone and with every process that uses it), deploy only the changed file, and the
tables and forms two versions of a process differ in. See engine/definitions/file_drafts.py."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from engine.calendar.active import using
from engine.definitions import drafts, file_drafts, repository
from engine.definitions.bundle import BundleFile
from engine.definitions.file_diff import FileChange, diff_files
from engine.definitions.lint_code import dmn_problems
from engine.definitions.xml_safety import parse_xml, problem
from engine.errors import Conflict, DefinitionInvalid, ReliefError
from engine.scripting import command_budget
from engine.store.designer_models import ProcessDraft
from engine.store.models import Definition, DeploymentFile

if TYPE_CHECKING:
    from engine.calendar.store import DatabaseCalendar
    from engine.clock import Clock
    from engine.runtime.executor import Executor
    from engine.store.db import Database


@dataclass(frozen=True)
class DesignFile:
    """A table or form as the designer opens it: the draft when there is one, else the
    newest deployed content; `used_by` the process keys whose newest version uses it."""

    name: str
    kind: str
    content: bytes
    deployed: bytes | None
    draft: ProcessDraft | None
    used_by: list[str]


class FileDesigner:
    """Table and form drafts, their lint and their deployment; mixed into `Engine` (which
    gives `deploy`, `definition_diagram` and `db`)."""

    db: Database
    clock: Clock
    calendar: DatabaseCalendar
    executor: Executor
    forms_root: Path | None
    known_topics: Collection[str] | None

    def design_files(self) -> list[DesignFile]:
        """Every deployed table and form and every table or form draft, by name."""
        with self.db.reading() as s:
            rows = file_drafts.deployed(s)
            found = {d.key[len(file_drafts.PREFIX):]: d for d in s.scalars(
                sa.select(ProcessDraft).where(ProcessDraft.key.startswith(file_drafts.PREFIX)))}
        out = []
        for name in sorted(set(rows) | set(found)):
            row, draft = rows.get(name), found.get(name)
            kind = row.kind if row is not None else file_drafts.check_name(name)[1]
            out.append(DesignFile(name, kind, draft.xml if draft else row.content,  # type: ignore[union-attr]
                                  row.content if row else None, draft, []))
        return out

    def design_file(self, name: str) -> DesignFile:
        """The table or form `name`: its draft or its newest deployed content (404 when neither)."""
        name, kind = file_drafts.check_name(name)
        with self.db.reading() as s:
            row = file_drafts.deployed(s, name).get(name)
            draft = s.get(ProcessDraft, file_drafts.draft_key(name))
            used_by = [d.key for d in file_drafts.dependents(s, name)]
        if row is None and draft is None:
            raise file_drafts.not_found(name)
        return DesignFile(name, kind, draft.xml if draft else row.content,  # type: ignore[union-attr]
                          row.content if row else None, draft, used_by)

    def save_file_draft(self, name: str, content: bytes, actor: str, revision: int | None = None) -> ProcessDraft:
        """Save the draft of table or form `name` (a DMN document or a form's JSON object;
        unfinished is fine). 409 when `revision` is not the draft's current one."""
        name, kind = file_drafts.check_name(name)
        file_drafts.check_content(name, kind, content)
        key = file_drafts.draft_key(name)
        with self.db.session() as s:
            draft = s.get(ProcessDraft, key, with_for_update=True)
            now = self.clock.now()
            if draft is None:
                draft = ProcessDraft(key=key, xml=content, base_definition_id=None, updated_at=now,
                                     updated_by=actor, revision=1)
                s.add(draft)
            elif revision is not None and revision != draft.revision:
                raise Conflict(f"the draft of '{name}' was saved by {draft.updated_by} since (revision "
                               f"{draft.revision}); reload it", {"draft": name, "revision": draft.revision})
            else:
                draft.xml, draft.updated_at, draft.updated_by = content, now, actor
                draft.revision += 1
            s.flush()
            return draft

    def discard_file_draft(self, name: str) -> None:
        """Delete the draft of `name` (404 when there is none)."""
        name, _ = file_drafts.check_name(name)
        with self.db.session() as s:
            draft = s.get(ProcessDraft, file_drafts.draft_key(name))
            if draft is None:
                raise file_drafts.not_found(name)
            s.delete(draft)

    def file_drafts_for(self, names: Collection[str]) -> dict[str, bytes]:
        """The saved drafts among table and form `names` (a diagram's draft deploys with them)."""
        keys = [file_drafts.draft_key(n) for n in names]
        with self.db.reading() as s:
            return {d.key[len(file_drafts.PREFIX):]: d.xml for d in s.scalars(
                sa.select(ProcessDraft).where(ProcessDraft.key.in_(keys)))} if keys else {}

    def _bundles_with(self, name: str, kind: str, content: bytes) -> list[list[BundleFile]]:
        """Each process using `name`, bundled as it is deployed with `content` in its place."""
        out = []
        with self.db.reading() as s:
            users = file_drafts.dependents(s, name)
        for definition in users:
            xml = self.definition_diagram(definition)  # type: ignore[attr-defined]
            with self.db.reading() as s:
                files = drafts.bundle(s, definition.key, xml, definition)
            files, held = file_drafts.replace(files, name, kind, content)
            if held:
                out.append(files)
        return out

    def lint_file(self, name: str, content: bytes) -> list[dict]:
        """Every problem the deploy command would refuse `content` (as table or form `name`)
        for: the file's own checks, then those of each process that uses it. Nothing stored."""
        name, kind = file_drafts.check_name(name)
        try:
            file_drafts.check_content(name, kind, content)
        except ReliefError as err:
            return [problem(name, err.message)]
        problems = self._own_problems(name, kind, content)
        if problems:
            return problems
        for files in self._bundles_with(name, kind, content):
            try:
                with command_budget(self.executor.limits), using(self.calendar):
                    items_path = self.items_path  # type: ignore[attr-defined]  # PortalService's
                    repository.check_files(files, self.forms_root, self.known_topics, items_path)
            except DefinitionInvalid as err:
                problems += [p for p in drafts.problems_of(err) if p not in problems]
        return problems

    def _own_problems(self, name: str, kind: str, content: bytes) -> list[dict]:
        try:
            with command_budget(self.executor.limits):
                if kind == "dmn":
                    return dmn_problems(name, parse_xml(content, name))
                repository.parse_form(name, content)
        except DefinitionInvalid as err:
            return drafts.problems_of(err)
        return []

    def deploy_file_draft(self, name: str, actor: str) -> repository.DeployResult:
        """Deploy the saved draft of `name` with every process that uses it (their deployed
        files otherwise unchanged), through the one deploy command: only those processes get
        a new version. 409 when no deployed process uses it (deploy it with its diagram)."""
        name, kind = file_drafts.check_name(name)
        with self.db.reading() as s:
            draft = s.get(ProcessDraft, file_drafts.draft_key(name))
        if draft is None:
            raise file_drafts.not_found(name)
        bundles = self._bundles_with(name, kind, draft.xml)
        if not bundles:
            raise Conflict(f"no deployed process uses '{name}': reference it from a diagram and deploy that diagram",
                           {"file": name})
        result = self.deploy(file_drafts.merge(bundles), actor)  # type: ignore[attr-defined]
        with self.db.session() as s:
            saved = s.get(ProcessDraft, file_drafts.draft_key(name))
            if saved is not None and saved.xml == draft.xml:  # not saved again meanwhile
                s.delete(saved)
        return result

    def version_tables_and_forms(self, definition: Definition) -> dict[str, tuple[str, bytes]]:
        """The tables and forms `definition`'s process uses (with its called processes), as
        deployed with it: name → (kind, content)."""
        xml = self.definition_diagram(definition)  # type: ignore[attr-defined]
        with self.db.reading() as s:
            files = drafts.bundle(s, definition.key, xml, definition)
            rows = {r.name: r for r in s.scalars(sa.select(DeploymentFile).where(
                DeploymentFile.deployment_id == definition.deployment_id, DeploymentFile.kind == "form"))}
        out = {f.name: (f.kind, f.content) for f in files if f.kind == "dmn"}
        # forms: those the bundle names (its forms are read from the deployment itself)
        out |= {f.name: (f.kind, rows[f.name].content if f.name in rows else f.content)
                for f in files if f.kind == "form"}
        return out

    def diff_version_files(self, old: Definition, new: Definition) -> list[FileChange]:
        """The tables' rules and columns and the forms' fields added, removed and changed
        from version `old` to version `new` of a process."""
        return diff_files(self.version_tables_and_forms(old), self.version_tables_and_forms(new))
