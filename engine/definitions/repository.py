"""Deploy bundles as immutable, content-hashed versions; serve parsed specs and forms."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.definitions import approval
from engine.definitions.bundle import BundleFile, content_hash, safe_name
from engine.definitions.lint import form_keys, lint_bpmn, task_properties
from engine.definitions.lint_code import dmn_problems
from engine.definitions.lint_elements import call_cycles, element_problems
from engine.definitions.lint_items import item_problems
from engine.definitions.parser import ParsedBundle, ParsedProcess, _summary, parse_bundle
from engine.definitions.xml_safety import parse_xml, problem
from engine.errors import DefinitionInvalid, NotFound, ReliefError
from engine.forms import FormDefinition, load_form
from engine.portal import items as item_list
from engine.scripting import current_limits
from engine.store.models import Definition, Deployment, DeploymentFile

MAX_KEY, MAX_NAME = 120, 255  # the columns of definitions


def parse_form(key: str, content: bytes) -> FormDefinition:
    """A form file's bytes → checked FormDefinition (DefinitionInvalid naming the file;
    also for JSON nested too deeply to parse, or larger than a form may be)."""
    return load_form(content, file=key)


@dataclass
class DeployResult:
    deployment_id: int
    created: bool
    definitions: list[Definition]


def _resolve_forms(bundle: ParsedBundle, files: list[BundleFile], forms_root: Path | None) -> list[BundleFile]:
    """The uploaded forms plus those the diagrams reference, read from `forms_root`."""
    forms = {f.name: f for f in files if f.kind == "form"}
    for root in bundle.roots.values():
        for key in form_keys(root):
            key = safe_name(key)
            if key not in forms and forms_root is not None and (forms_root / key).is_file():
                forms[key] = BundleFile(key, "form", (forms_root / key).read_bytes())
    return list(forms.values())


def _lint(bundle: ParsedBundle, forms: list[BundleFile], known_topics: Collection[str] | None,
          items_path: Path | None = None) -> None:
    by_key = {f.name: f for f in forms}
    checked: dict[str, FormDefinition] = {}

    def load(key: str) -> FormDefinition:
        if key not in checked:
            if key not in by_key:
                raise NotFound("no such form file in the deployment or under forms/")
            checked[key] = parse_form(key, by_key[key].content)
        return checked[key]

    problems: list[dict] = _column_sizes(bundle)
    process_ids = set(bundle.parser.get_process_ids())
    # J-ITEMS: the routing tables agree with the item list (read as deployed, so an edit to
    # either that breaks the agreement is refused by name).
    listing = item_list.load(items_path) if items_path is not None else None
    for name, root in bundle.roots.items():
        if name.endswith(".bpmn"):
            problems += lint_bpmn(name, root, load, process_ids, known_topics)
        else:
            problems += dmn_problems(name, root)
            if listing is not None:
                problems += item_problems(name, root, listing)
    problems += call_cycles({n: r for n, r in bundle.roots.items() if n.endswith(".bpmn")}, process_ids)
    for form in forms:
        try:
            load(form.name)
        except ReliefError as err:
            problems += err.details.get("problems") or [problem(form.name, err.message)]
    if problems:
        raise DefinitionInvalid(_summary(problems), {"problems": problems})


def _refuse_unsupported(files: list[BundleFile]) -> None:
    """Elements this engine cannot run, named by id, before SpiffWorkflow's parser (which
    refuses some without their id and drops others)."""
    problems = [p for f in files if f.kind == "bpmn"
                for p in element_problems(f.name, parse_xml(f.content, f.name), current_limits().max_instances)]
    if problems:
        raise DefinitionInvalid(_summary(problems), {"problems": problems})


def _column_sizes(bundle: ParsedBundle) -> list[dict]:
    """What would not fit the columns it is stored in (PostgreSQL refuses it with an error)."""
    problems = []
    for key, process in bundle.processes.items():
        if len(key) > MAX_KEY:
            problems.append(problem(process.file, f"the process id is longer than {MAX_KEY} characters",
                                    element=key[:80]))
        if len(process.name) > MAX_NAME:
            problems.append(problem(process.file, f"the process name is longer than {MAX_NAME} characters",
                                    element=key))
    return problems


def _definition_files(bundle: ParsedBundle, process: ParsedProcess, files: list[BundleFile]) -> list[BundleFile]:
    """What a process depends on: its file, its called processes' files, the DMN files of
    the decisions they call and the forms they reference. Its version hash covers exactly
    these, so deploying a shared sub-process with another variant does not version it."""
    names = {process.file}
    for sub_key in process.subprocess_specs:
        names.add(bundle.parser.get_process_parser(sub_key).filename)
    decisions = {d.strip() for n in names for d in bundle.roots[n].xpath(
        "//*[local-name()='calledDecisionId']/text()")}
    names |= {bundle.parser.dmn_parsers[d].filename for d in decisions if d in bundle.parser.dmn_parsers}
    keys = {k for n in list(names) if n in bundle.roots and n.endswith(".bpmn") for k in form_keys(bundle.roots[n])}
    return [f for f in files if f.name in names or (f.kind == "form" and f.name in keys)]


def version_files(session: Session, definition: Definition) -> list[BundleFile]:
    """Exactly the files `definition`'s version hash covers (its diagram, the processes it
    calls, their tables and forms), as deployed: deploying them again gives that version."""
    rows = session.scalars(sa.select(DeploymentFile).where(DeploymentFile.deployment_id == definition.deployment_id))
    files = [BundleFile(r.name, r.kind, r.content) for r in rows]
    bundle = parse_bundle({f.name: f.content for f in files if f.kind == "bpmn"},
                          {f.name: f.content for f in files if f.kind == "dmn"})
    return _definition_files(bundle, bundle.processes[definition.key], files)


def start_form_key(bundle: ParsedBundle, process: ParsedProcess) -> str | None:
    root = bundle.roots[process.file]
    for node in root.xpath(f"//*[local-name()='process'][@id='{process.key}']/*[local-name()='startEvent']"):
        if key := task_properties(node).get("formKey"):
            return key
    return None


def check_files(files: list[BundleFile], forms_root: Path | None = None,
                known_topics: Collection[str] | None = None,
                items_path: Path | None = item_list.DEFAULT_PATH) -> tuple[ParsedBundle, list[BundleFile]]:
    """Everything `deploy` checks, storing nothing: the parsed bundle and the files with the
    forms the diagrams reference, or DefinitionInvalid naming every problem. The routing
    tables are held to the item list in `items_path` (None: not checked)."""
    if not any(f.kind == "bpmn" for f in files):
        raise DefinitionInvalid("a deployment needs at least one .bpmn file",
                                {"problems": [problem("", "no .bpmn file")]})
    _refuse_unsupported(files)
    bundle = parse_bundle({f.name: f.content for f in files if f.kind == "bpmn"},
                          {f.name: f.content for f in files if f.kind == "dmn"})
    files = [f for f in files if f.kind != "form"] + _resolve_forms(bundle, files, forms_root)
    _lint(bundle, [f for f in files if f.kind == "form"], known_topics, items_path)
    return bundle, files


def deploy(
    session: Session,
    files: list[BundleFile],
    actor: str,
    now: dt.datetime,
    forms_root: Path | None = None,
    known_topics: Collection[str] | None = None,
    require_approval: bool = True,
    items_path: Path | None = item_list.DEFAULT_PATH,
) -> DeployResult:
    """Check and store a bundle. Identical content returns the versions it already has. A new
    version of a process that has cases awaits a second person's approval (approval.py),
    unless `require_approval` is off (`relief demo` redeploying workflows/ at start-up)."""
    bundle, files = check_files(files, forms_root, known_topics, items_path)
    bundle_hash = content_hash(files)
    existing = session.scalar(sa.select(Deployment).where(Deployment.content_hash == bundle_hash))
    if existing is not None:
        return DeployResult(existing.id, False, _reused_definitions(session, bundle, files))

    deployment = Deployment(content_hash=bundle_hash, created_at=now, created_by=actor)
    session.add(deployment)
    session.flush()
    for f in files:
        session.add(DeploymentFile(deployment_id=deployment.id, name=f.name, kind=f.kind,
                                   sha256=f.sha256, content=f.content))
    result, created = [], []
    for key, process in sorted(bundle.processes.items()):
        def_hash = content_hash(_definition_files(bundle, process, files))
        same = _definition_with_hash(session, key, def_hash)
        if same is not None:
            result.append(same)
            continue
        latest = session.scalar(sa.select(sa.func.max(Definition.version)).where(Definition.key == key)) or 0
        definition = Definition(key=key, version=latest + 1, name=process.name, deployment_id=deployment.id,
                                content_hash=def_hash, start_form_key=start_form_key(bundle, process),
                                created_at=now, deployed_by=actor,
                                approval_required=require_approval and approval.has_cases(session, key))
        session.add(definition)
        result.append(definition)
        created.append(definition)
    session.flush()
    approval.record_deploy(session, created, actor, now, deployment.id,
                           None if require_approval else approval.NOT_REQUIRED_DEMO)
    return DeployResult(deployment.id, True, result)


def _definition_with_hash(session: Session, key: str, def_hash: str) -> Definition | None:
    return session.scalar(sa.select(Definition).where(Definition.key == key, Definition.content_hash == def_hash))


def _reused_definitions(session: Session, bundle: ParsedBundle, files: list[BundleFile]) -> list[Definition]:
    """The versions an already deployed, identical bundle resolves to."""
    found = (_definition_with_hash(session, key, content_hash(_definition_files(bundle, process, files)))
             for key, process in sorted(bundle.processes.items()))
    return [d for d in found if d is not None]


class SpecCache:
    """Parsed specs and forms per deployment, parsed once per process (LRU)."""

    def __init__(self, size: int = 64) -> None:
        self._bundles: OrderedDict[int, tuple[ParsedBundle, dict[str, bytes]]] = OrderedDict()
        self._forms: dict[tuple[int, str], FormDefinition] = {}
        self._deployments: dict[int, int] = {}  # definition id -> deployment id (never changes)
        self._size = size
        self._lock = threading.Lock()

    def _bundle(self, session: Session, deployment_id: int) -> tuple[ParsedBundle, dict[str, bytes]]:
        with self._lock:
            if deployment_id in self._bundles:
                self._bundles.move_to_end(deployment_id)
                return self._bundles[deployment_id]
        rows = session.scalars(sa.select(DeploymentFile).where(DeploymentFile.deployment_id == deployment_id)).all()
        bundle = parse_bundle({r.name: r.content for r in rows if r.kind == "bpmn"},
                              {r.name: r.content for r in rows if r.kind == "dmn"})
        forms = {r.name: r.content for r in rows if r.kind == "form"}
        with self._lock:
            self._bundles[deployment_id] = (bundle, forms)
            while len(self._bundles) > self._size:
                self._bundles.popitem(last=False)
        return bundle, forms

    def process(self, session: Session, definition: Definition) -> ParsedProcess:
        """The parsed spec of `definition` (and the specs it calls)."""
        bundle, _ = self._bundle(session, definition.deployment_id)
        return bundle.processes[definition.key]

    def called_files(self, session: Session, definition: Definition) -> list[str]:
        """The names (in its deployment) of the files of the processes `definition` calls."""
        bundle, _ = self._bundle(session, definition.deployment_id)
        process = bundle.processes[definition.key]
        return sorted({bundle.parser.get_process_parser(key).filename for key in process.subprocess_specs}
                      - {process.file})

    def deployment_of(self, session: Session, definition_id: int) -> int:
        """The deployment of definition `definition_id`; a definition row never changes, so
        a command needs neither to join it to its instance nor to read it again."""
        found = self._deployments.get(definition_id)
        if found is None:
            found = session.scalar(sa.select(Definition.deployment_id).where(Definition.id == definition_id))
            if found is None:
                raise NotFound(f"definition {definition_id} does not exist", {"definition": definition_id})
            self._deployments[definition_id] = found
        return found

    def form(self, session: Session, deployment_id: int, key: str) -> FormDefinition:
        """The form `key` as deployed with `deployment_id`."""
        cache_key = (deployment_id, key)
        if cache_key not in self._forms:
            _, forms = self._bundle(session, deployment_id)
            if key not in forms:
                raise NotFound(f"form '{key}' is not part of deployment {deployment_id}", {"form": key})
            self._forms[cache_key] = parse_form(key, forms[key])
        return self._forms[cache_key]
