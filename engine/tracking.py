"""Cases as the staff pages show them (J-TRACK): which processes a clerk may start and
their start forms, a page of cases with their applicant (masked) and current stage, and
one case's whole-process tracking — the elements completed and current and the sequence
flows taken (from the engine's task tree, not guessed in the page), its deadlines as met,
missed or pending, and its records. Mixed into `Engine`; every read takes the Principal
and goes through the scope rule (engine/auth/scope.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine.audit.replay import case_data
from engine.auth import Principal, personal, scope
from engine.crypto.names import mask_name
from engine.definitions import approval
from engine.definitions.xml_safety import parse_xml
from engine.errors import Forbidden, NotFound
from engine.forms import FormDefinition
from engine.materials import checklist as checklists
from engine.store.models import AuditEvent, Definition, DeploymentFile, HumanTask, Instance, Timer
from engine.store.records import Dispatch, LedgerEntry, Notification, staff_visible

MAX_PAGE = 200
CASE_STATUSES = ("running", "completed", "cancelled", "error")


@dataclass
class CaseRow:
    """One line of the case list: the case, its applicant (masked) and its open steps."""

    instance: Instance
    applicant: dict[str, Any]
    stages: list[str]


@dataclass
class CaseFilter:
    """What the case list shows, within the reader's scope (which always applies)."""

    definition_key: str | None = None
    status: str | None = None
    stage: str | None = None  # the name of an open task
    business_key: str | None = None  # a prefix of the business key
    limit: int = 50
    offset: int = 0


@dataclass
class DeadlineState:
    """A deadline of the case: `met` (its wait ended in time), `missed` (its timer fired)
    or `pending` (still running)."""

    element: str
    name: str
    due_at: dt.datetime
    provisional: bool
    state: str
    ended_at: dt.datetime | None


@dataclass
class Track:
    """The whole-process tracking of a case: diagram marks, deadlines and records."""

    instance: Instance
    completed: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # element id -> its name in the diagram
    deadlines: list[DeadlineState] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    open_tasks: list[HumanTask] = field(default_factory=list)
    applicant: dict[str, Any] = field(default_factory=dict)  # masked (`case_summary` shows it in full)
    aid_types: list[str] = field(default_factory=list)  # what the materials checklist needs of the data
    events: list[dict[str, Any]] = field(default_factory=list)  # the timeline (as `case_events`)


@dataclass(frozen=True)
class _Diagram:
    names: dict[str, str]  # the elements of the case's own diagram (the ones the viewer marks)
    flows: dict[tuple[str, str], str]  # (source, target) -> sequence flow id
    attached: dict[str, str]  # boundary event -> the activity it is attached to (called processes' too)
    labels: dict[str, str] = field(default_factory=dict)  # names, and those of the processes it calls


class CaseTracking:
    """Case pages' reads; mixed into `Engine` (which provides db, clock, specs and the scoped reads)."""

    _diagrams: dict[int, _Diagram]

    # starting ----------------------------------------------------------------------
    def startable_definitions(self) -> list[Definition]:
        """The processes a person starts from a form: the latest version of each key that
        may take cases and has a start form (called sub-processes have none)."""
        with self.db.reading() as s:  # type: ignore[attr-defined]
            rows = list(s.scalars(sa.select(Definition).where(approval.STARTABLE)
                                  .order_by(Definition.key, Definition.version.desc())))
        latest: dict[str, Definition] = {}
        for row in rows:
            latest.setdefault(row.key, row)
        return [d for d in latest.values() if d.start_form_key]

    def region_processes(self, who: Principal) -> tuple[set[str], set[str]]:
        """(the processes configured as some region's variant, those of them `who`'s region
        may start): the item list's offices (workflows/items.json, what the portal uses to pick
        the variant of the applicant's region). An office serves its region and every region
        within it; a user above it (a city over a county) may start its variant too."""
        offices = self.item_list().offices  # type: ignore[attr-defined]
        regional = {o.process for o in offices}
        if who.is_admin:
            return regional, regional
        mine = {o.process for o in offices if who.region and (
            scope.region_contains(o.region, who.region) or scope.region_contains(who.region, o.region))}
        return regional, mine

    def may_start(self, who: Principal, key: str) -> bool:
        """Whether `who` may start a case of process `key`: a region's variant only in that
        region; a process no office names (a generic one) anywhere."""
        if who.is_admin or "applicant" in who.roles:  # applicants: the portal picks by their region
            return True
        regional, mine = self.region_processes(who)
        return key not in regional or key in mine

    def check_may_start(self, who: Principal, key: str) -> None:
        """Forbidden (naming `definition`) when `who`'s region may not start process `key`."""
        if not self.may_start(who, key):
            raise Forbidden(f"process '{key}' is the variant of another region; your region "
                            f"({who.region or 'none'}) may not start it",
                            {"definition": key, "region": who.region})

    def startable_for(self, who: Principal) -> list[Definition]:
        """The processes `who` may start from a form: `startable_definitions` of their region."""
        return [d for d in self.startable_definitions() if self.may_start(who, d.key)]

    def start_form_of(self, key: str) -> tuple[Definition, FormDefinition]:
        """The version a start of `key` would take now and its start form (404 when the
        process does not exist or is not started from a form)."""
        found = next((d for d in self.startable_definitions() if d.key == key), None)
        if found is None:
            raise NotFound(f"no deployed process '{key}' with a start form", {"definition": key})
        with self.db.reading() as s:  # type: ignore[attr-defined]
            return found, self.specs.form(s, found.deployment_id, found.start_form_key)  # type: ignore[attr-defined]

    # the list ----------------------------------------------------------------------
    def case_page(self, who: Principal, f: CaseFilter) -> tuple[list[CaseRow], int]:
        """A page of the cases `who` may see that match `f`, newest first, and how many match."""
        q = sa.select(Instance).where(scope.instance_clause(who))
        if f.status:
            q = q.where(Instance.status == f.status)
        if f.definition_key:
            q = q.where(Instance.process_key == f.definition_key)
        if f.business_key:
            q = q.where(Instance.business_key.startswith(f.business_key, autoescape=True))
        if f.stage:
            q = q.where(Instance.id.in_(sa.select(HumanTask.instance_id).where(
                HumanTask.state == "open", HumanTask.name == f.stage)))
        with self.db.reading() as s:  # type: ignore[attr-defined]
            total = s.scalar(sa.select(sa.func.count()).select_from(q.subquery())) or 0
            rows = list(s.scalars(q.order_by(Instance.started_at.desc(), Instance.id)
                                  .limit(min(f.limit, MAX_PAGE)).offset(f.offset)))
            ids = [r.id for r in rows]
            stages: dict[str, list[str]] = {}
            for iid, name in s.execute(sa.select(HumanTask.instance_id, HumanTask.name).where(
                    HumanTask.instance_id.in_(ids), HumanTask.state == "open").order_by(HumanTask.created_at)):
                stages.setdefault(iid, []).append(name)
            # The application as started (the start event's audit input), masked: a list never
            # shows personal data in full and so logs no access.
            starts = {iid: data for iid, data in s.execute(sa.select(AuditEvent.instance_id, AuditEvent.input).where(
                AuditEvent.instance_id.in_(ids), AuditEvent.command.in_(("start_instance", "hotline_intake"))))}
        return [CaseRow(r, masked_applicant((starts.get(r.id) or {}).get("data") or {}),
                        stages.get(r.id, [])) for r in rows], total

    def case_stages(self, who: Principal) -> list[str]:
        """The names of the steps open in the cases `who` may see (the list's stage filter)."""
        with self.db.reading() as s:  # type: ignore[attr-defined]
            return sorted(s.scalars(sa.select(HumanTask.name).distinct().join(
                Instance, Instance.id == HumanTask.instance_id).where(
                HumanTask.state == "open", scope.instance_clause(who))))

    # one case ----------------------------------------------------------------------
    def case_track(self, who: Principal, instance_id: str) -> Track:
        """The case's tracking as `who` may see it (403/404 outside their scope)."""
        from SpiffWorkflow.task import TaskState

        from engine.runtime.inspect import all_tasks, bpmn_id

        instance = self.instance_for(who, instance_id)  # type: ignore[attr-defined]
        diagram = self._diagram(instance.definition)
        # The timeline and deadlines name the called processes' steps too (a department's
        # 部门审核决定 in common_department_handling), not their element ids.
        track = Track(instance, names=diagram.labels)
        workflow = self._restored(instance)  # type: ignore[attr-defined]
        data = case_data(workflow)
        track.applicant = masked_applicant(data)
        track.aid_types = checklists.case_aid_types(data)  # the materials panel reads no state again
        current_states = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
        completed, current, flows = set(), set(), set()
        for task in all_tasks(workflow):
            element = bpmn_id(task)
            if element is None or element not in diagram.names:
                continue
            done = task.state == TaskState.COMPLETED
            now = bool(task.state & current_states)
            if done:
                completed.add(element)
            elif now and element not in diagram.attached:  # a boundary event waits with its step; not a step
                current.add(element)
            parent = _reached_from(task)
            if (done or now) and parent is not None and (parent, element) in diagram.flows:
                flows.add(diagram.flows[(parent, element)])
        track.completed, track.current, track.flows = sorted(completed - current), sorted(current), sorted(flows)
        with self.db.reading() as s:  # type: ignore[attr-defined]
            timers = list(s.scalars(sa.select(Timer).where(Timer.instance_id == instance.id)
                                    .order_by(Timer.due_at)))
            track.open_tasks = list(s.scalars(sa.select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.state == "open").order_by(HumanTask.created_at)))
            track.ledger = list(s.scalars(sa.select(LedgerEntry).where(LedgerEntry.instance_id == instance.id)
                                          .order_by(LedgerEntry.recorded_at, LedgerEntry.id)))
            # The case is read and scoped once above: its records need no second scope check.
            track.dispatches = list(s.scalars(sa.select(Dispatch).where(Dispatch.instance_id == instance.id)
                                              .order_by(Dispatch.id)))
            notices = list(s.scalars(sa.select(Notification).where(Notification.instance_id == instance.id,
                                                                   staff_visible())
                                     .order_by(Notification.id.desc()).limit(MAX_PAGE)))
            track.events = [{"seq": e.seq, "command": e.command, "actor": e.actor, "at": e.at,
                             "input": personal.masked(e.input or {})}
                            for e in s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == instance.id)
                                               .order_by(AuditEvent.seq))]
        track.deadlines = [_deadline(t, diagram, self.clock.now()) for t in timers]  # type: ignore[attr-defined]
        track.notifications = [{"created_at": n.created_at, "template": n.template, "status": n.status,
                                "to": personal.masked({"phone": n.to})["phone"], "message": n.message}
                               for n in notices]
        return track

    def case_events(self, who: Principal, instance_id: str) -> list[dict[str, Any]]:
        """The case's audit events for its timeline, ID numbers and phones masked for every
        reader (the timeline shows who did what, not personal data; no access is logged)."""
        from engine import queries

        with self.db.reading() as s:  # type: ignore[attr-defined]
            return [{"seq": e.seq, "command": e.command, "actor": e.actor, "at": e.at,
                     "input": personal.masked(e.input or {})} for e in queries.history(s, who, instance_id)]

    def case_applicant_in_full(self, who: Principal, instance_id: str) -> tuple[dict[str, Any], bool]:
        """The applicant of a case for its page header, in full when `who`'s role needs it
        (then written to the access log), else masked: (applicant fields, whether in full)."""
        view = self.case_view(who, instance_id)  # type: ignore[attr-defined]  # logs a full view
        return applicant_of(view.data), view.full

    def _diagram(self, definition: Definition) -> _Diagram:
        """Names, flows and boundary attachments of a definition's diagram (cached: deployed
        files never change)."""
        cache = self.__dict__.setdefault("_diagrams", {})
        if definition.id not in cache:
            names: dict[str, str] = {}
            flows: dict[tuple[str, str], str] = {}
            attached: dict[str, str] = {}
            _read_diagram(self.definition_diagram(definition), names, flows, attached)  # type: ignore[attr-defined]
            labels: dict[str, str] = {}
            for content in self._called_diagrams(definition):
                _read_diagram(content, labels, {}, attached)
            labels.update(names)  # the case's own diagram wins where ids repeat
            cache[definition.id] = _Diagram(names, flows, attached, labels)
        return cache[definition.id]

    def _called_diagrams(self, definition: Definition) -> list[bytes]:
        """The BPMN files of the processes `definition` calls, as deployed with it."""
        with self.db.reading() as s:  # type: ignore[attr-defined]
            names = self.specs.called_files(s, definition)  # type: ignore[attr-defined]
            if not names:
                return []
            return list(s.scalars(sa.select(DeploymentFile.content).where(
                DeploymentFile.deployment_id == definition.deployment_id, DeploymentFile.name.in_(names))
                .order_by(DeploymentFile.name)))


def _read_diagram(content: bytes, names: dict[str, str], flows: dict[tuple[str, str], str],
                  attached: dict[str, str]) -> None:
    """Add a BPMN file's element names, sequence flows and boundary attachments to the dicts."""
    root = parse_xml(content, "diagram")
    for el in root.iter():
        if not isinstance(el.tag, str) or el.get("id") is None or "BPMNDiagram" in el.tag:
            continue
        tag = el.tag.rsplit("}", 1)[-1]
        if tag.startswith("BPMN"):
            continue
        names[el.get("id")] = el.get("name") or ""
        if tag == "sequenceFlow":
            flows[(el.get("sourceRef"), el.get("targetRef"))] = el.get("id")
        if tag == "boundaryEvent" and el.get("attachedToRef"):
            attached[el.get("id")] = el.get("attachedToRef")


APPLICANT_KEYS = ("applicant_name", "applicant_id_number", "applicant_phone", "aid_types", "channel")


def masked_applicant(data: dict[str, Any]) -> dict[str, Any]:
    """The applicant fields as lists and headers show them unless asked for in full: ID
    number and phone masked, the name too (张*英)."""
    out = applicant_of(personal.masked(data))
    if isinstance(out.get("applicant_name"), str):
        out["applicant_name"] = mask_name(out["applicant_name"])
    return out


def applicant_of(data: dict[str, Any]) -> dict[str, Any]:
    """The applicant fields of case data that lists and headers show (as given: masked or not)."""
    return {k: data[k] for k in APPLICANT_KEYS if data.get(k) not in (None, "", [])}


def _reached_from(task: Any) -> str | None:
    """The diagram element the task was reached from (its nearest ancestor that is one)."""
    from engine.runtime.inspect import bpmn_id

    parent = task.parent
    while parent is not None:
        element = bpmn_id(parent)
        if element is not None and element != bpmn_id(task):
            return element
        parent = parent.parent
    return None


def _deadline(timer: Timer, diagram: _Diagram, now: dt.datetime) -> DeadlineState:
    """A timer as a deadline: fired is missed, cancelled (its wait ended first) is met."""
    state = {"fired": "missed", "cancelled": "met"}.get(timer.state, "pending")
    if state == "pending" and timer.state == "incident":
        state = "missed" if now > timer.due_at else "pending"
    element = diagram.attached.get(timer.bpmn_id, timer.bpmn_id)
    names = diagram.labels
    name = names.get(timer.bpmn_id) or names.get(element) or timer.bpmn_id
    if timer.bpmn_id in diagram.attached and names.get(element):
        name = f"{names[element]} · {names.get(timer.bpmn_id) or ''}".rstrip(" ·")
    return DeadlineState(element, name, timer.due_at, timer.provisional, state,
                         timer.fired_at if state == "missed" else None)
