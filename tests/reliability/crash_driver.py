"""The process the crash suite kills (tests/reliability/test_crash.py), and the walk that
drives cases of every deployed variant through the engine's public commands.

A driver process is a small server without HTTP: the engine, the timer scheduler and the
in-process job runner (named `WORKER_ID` in every incarnation, so that each restart takes
back the jobs the previous one died holding, as `relief serve` does), and two walkers
acting at random like a busy office: starting cases of all variants (and retrying some
starts), claiming and completing open tasks with random valid form data, sending the
messages cases wait for, cancelling now and then, and moving the shared clock so that
deadlines fire. Each command that returned is written to a journal (one line each, with
one `write`): the suite then checks that nothing that returned was lost.

The walk reads the diagrams and forms as deployed (`form_data.sample`), so it follows them
whatever their tasks are called."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import threading
import time
import traceback
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import TaskState

from api.settings import ROOT
from engine.auth import Principal
from engine.clock import SharedClock
from engine.errors import ReliefError, ValidationFailed
from engine.runtime import inspect, state
from engine.service import Engine
from engine.store.models import AuditEvent, Definition, HumanTask, Instance, Job, Timer
from tests.support.form_data import sample
from workers.registry import topics

WORKER_ID = "crash-driver"
REGION = "320281"  # the county every case of the walk belongs to, and its staff
# Processes that never end by themselves (J-CHECK: 定期复核 every year until the aid stops):
# the walk drives every case it starts to its end, so it does not start these.
PERPETUAL = ("household_review",)
RUNNING_CASES = 8  # a walker starts new cases while fewer than this run
# Payloads of the messages the diagrams wait for; another message gets {} and a reference.
# Who answers the cases' messages: an administrator may send every kind (the diagrams'
# sender rules are proved elsewhere; this driver proves durability across crashes).
SENDER = Principal("crash-admin", roles=("admin",))
PAYLOADS: dict[str, dict[str, Any]] = {
    "supplementary_documents": {"documents": ["户口簿复印件", "收入证明"]},
    "department_result": {"department_approved": "yes", "department_decision": "同意救助", "department_amount": 600},
}


def make_engine(url: str) -> Engine:
    """An engine as `relief serve` has it in test mode: the clock's offset in the database."""
    return Engine(url, clock=SharedClock(refresh_seconds=0.1), forms_root=ROOT / "forms", known_topics=topics())


class Journal:
    """Commands that returned, one JSON line each, appended with a single write (a kill
    leaves at most a torn last line, which the reader drops)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, **entry: Any) -> None:
        os.write(self._fd, (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode())


def read_journal(path: Path) -> list[dict[str, Any]]:
    entries = []
    for line in path.read_text("utf-8").splitlines() if path.exists() else []:
        try:
            entries.append(json.loads(line))
        except ValueError:  # torn by the kill
            continue
    return entries


def staff(group: str) -> Principal:
    """A member of `group` in the walk's county (a department's case worker for `dept:…`)."""
    department = group.removeprefix("dept:") if group.startswith("dept:") else None
    return Principal(f"crash-{group.replace(':', '-')}", ("caseworker" if department else "clerk",), (group,),
                     department=department, region=REGION)


class Walker:
    """Random office work on the cases of one engine; `journal` may be None."""

    def __init__(self, engine: Engine, rng: random.Random, journal: Journal | None, tag: str) -> None:
        self.engine, self.rng, self.journal, self.tag = engine, rng, journal, tag
        self.started = 0
        self._all_started = False

    def _note(self, **entry: Any) -> None:
        if self.journal is not None:
            self.journal.write(**entry)

    # what there is ----------------------------------------------------------
    def variants(self) -> list[Definition]:
        """The latest version of each process that has a start form and ends: the three variants
        and the processes beside them (complaints, consultations, …), not a periodic review,
        which waits a year between reviews for as long as the household is aided."""
        with self.engine.db.reading() as s:
            rows = s.scalars(sa.select(Definition).where(Definition.start_form_key.is_not(None),
                                                         Definition.key.not_in(PERPETUAL))
                             .order_by(Definition.key, Definition.version.desc())).all()
        return list({d.key: d for d in reversed(rows)}.values())

    def running(self) -> list[Instance]:
        with self.engine.db.reading() as s:
            return list(s.scalars(sa.select(Instance).where(Instance.status == "running")))

    def open_tasks(self, instance_id: str | None = None) -> list[HumanTask]:
        q = sa.select(HumanTask).where(HumanTask.state == "open")
        if instance_id:
            q = q.where(HumanTask.instance_id == instance_id)
        with self.engine.db.reading() as s:
            return list(s.scalars(q.order_by(HumanTask.created_at)))

    def waiting_messages(self, instance: Instance) -> list[str]:
        """The names of the messages `instance` waits for now."""
        names = []
        for task in inspect.all_tasks(self._workflow(instance)):
            if task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent):
                definition = task.task_spec.event_definition
                for d in getattr(definition, "event_definitions", None) or [definition]:
                    if isinstance(d, MessageEventDefinition):
                        names.append(d.name)
        return names

    def _workflow(self, instance: Instance) -> Any:
        """The case's workflow as stored now (a copy: the walker never changes it)."""
        with self.engine.db.reading() as s:
            row = s.get(Instance, instance.id)
            process = self.engine.specs.process(s, s.get(Definition, row.definition_id))
            return state.load(row.state, process.spec, process.subprocess_specs)

    # acting -------------------------------------------------------------------
    def step(self) -> str:
        """One random action; returns its name."""
        roll = self.rng.random()
        running = self.running()
        if (roll < 0.25 or not self._every_variant_started()) and len(running) < RUNNING_CASES:
            self.start_case()
            return "start"
        if roll < 0.75:
            tasks = self.open_tasks()
            if tasks:
                self.complete(self.rng.choice(tasks))
                return "complete"
        if roll < 0.85 and running:
            self.send_messages(self.rng.choice(running))
            return "message"
        if roll < 0.97:
            self.engine.advance_clock(dt.timedelta(hours=self.rng.choice((1, 4, 20, 50))))
            return "clock"
        if running and self.rng.random() < 0.3:
            case = self.rng.choice(running)
            self.engine.cancel(case.id, "申请人撤回", "crash-window")
            self._note(op="cancel", instance=case.id)
            return "cancel"
        return "idle"

    def _every_variant_started(self) -> bool:
        """Whether each variant has a case (remembered once true: one query a step until then)."""
        if not self._all_started:
            with self.engine.db.reading() as s:
                have = set(s.scalars(sa.select(Instance.process_key).distinct()))
            self._all_started = {d.key for d in self.variants()} <= have
        return self._all_started

    def start_case(self) -> Instance:
        """A case of the variant with the fewest cases so far, counted in the database (a
        kill can lose a walker's memory, never the rows): every variant is started once
        before any is started twice, whatever the seed, and all of them run side by side."""
        with self.engine.db.reading() as s:
            cases = Counter(dict(s.execute(sa.select(Instance.process_key, sa.func.count())
                                           .group_by(Instance.process_key)).all()))
        variants = self.variants()
        fewest = min(cases[d.key] for d in variants)
        definition = self.rng.choice([d for d in variants if cases[d.key] == fewest])
        with self.engine.db.reading() as s:
            form = self.engine.specs.form(s, definition.deployment_id, definition.start_form_key)
        key = f"CR-{self.tag}-{self.started}"
        self.started += 1
        data = sample(form, self.rng)
        instance = self.engine.start(definition.key, data, key, "crash-window", REGION)
        self._note(op="start", instance=instance.id, key=key, process=definition.key)
        if self.rng.random() < 0.2:  # a retried request: the same case again (defect 10)
            again, created = self.engine.start_once(definition.key, data, key, "crash-window", REGION)
            self._note(op="retried start", instance=again.id, created=created, first=instance.id)
        return instance

    def complete(self, task: HumanTask) -> None:
        who = staff((task.candidate_groups or ["admin"])[0])
        form = self.engine.task_form(task)
        context = self.engine.task_data(task)
        if task.assignee in (None, who.username):
            self.engine.claim(task.id, who)
            self._note(op="claim", task=task.id, by=who.username)
        for attempt in range(5):
            data = sample(form, self.rng, context) if form is not None else {}
            try:
                self.engine.complete(task.id, data, who)
            except ValidationFailed:
                if attempt == 4:
                    raise
                continue
            self._note(op="complete", task=task.id, by=who.username)
            return

    def send_messages(self, instance: Instance) -> int:
        sent = 0
        for name in self.waiting_messages(instance):
            ref = uuid.uuid4().hex
            self.engine.correlate(name, instance.business_key, {**PAYLOADS.get(name, {}), "ref": ref}, SENDER)
            self._note(op="message", instance=instance.id, name=name, ref=ref)
            sent += 1
        return sent

    def stuck(self, instance: Instance) -> str:
        """What a case that does not move on waits for, and how it got there."""
        with self.engine.db.reading() as s:
            jobs = s.execute(sa.select(Job.topic, Job.state, Job.error).where(
                Job.instance_id == instance.id, Job.state.in_(("pending", "failed", "incident")))).all()
            timers = s.execute(sa.select(Timer.bpmn_id, Timer.state, Timer.due_at, Timer.last_error).where(
                Timer.instance_id == instance.id, Timer.state.in_(("pending", "incident")))).all()
            history = [(e.command, [(c["element"], c["to"]) for c in e.changes][:8]) for e in s.scalars(
                sa.select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.seq))]
        live = TaskState.READY | TaskState.STARTED | TaskState.WAITING
        waiting = [(inspect.bpmn_id(t), TaskState.get_name(t.state))
                   for t in inspect.all_tasks(self._workflow(instance)) if t.state & live and inspect.bpmn_id(t)]
        return (f"case {instance.id} ({instance.business_key}): open tasks "
                f"{[t.bpmn_id for t in self.open_tasks(instance.id)]}, jobs {[tuple(j) for j in jobs]}, "
                f"timers {[tuple(t) for t in timers]}, messages {self.waiting_messages(instance)}, "
                f"waiting elements {waiting}; history {history}")


def finish(engine: Engine, rng: random.Random, max_rounds: int = 200) -> list[str]:
    """Drive every running case to its end, in this process, as the office would after the
    last restart; returns a line for each case that would not end (empty: all ended)."""
    from workers.runner import detach, run_pending

    walker = Walker(engine, rng, None, "finish")
    engine.take_back_jobs(WORKER_ID)
    try:
        for _ in range(max_rounds):
            run_pending(engine, WORKER_ID)
            # A periodic review (a follow-up of a granted case) waits for its next review for as
            # long as the aid lasts: it has no end to drive to.
            running = [case for case in walker.running() if case.process_key not in PERPETUAL]
            if not running:
                return []
            moved = False
            for task in walker.open_tasks():
                moved |= _tried(lambda t=task: walker.complete(t))
            for case in running:
                moved |= _tried(lambda c=case: walker.send_messages(c) > 0)
            run_pending(engine, WORKER_ID)
            if not moved:  # waiting for a deadline, a retry's delay, or an incident
                for job in engine.jobs(state="incident"):
                    _tried(lambda j=job: engine.retry_incident(j.id, "crash-finish"))
                for timer in engine.timer_incidents():
                    _tried(lambda t=timer: engine.retry_timer_incident(t.id, "crash-finish"))
                engine.advance_clock(dt.timedelta(days=1))
                engine.fire_due_timers()
        return [walker.stuck(case) for case in walker.running() if case.process_key not in PERPETUAL]
    finally:
        detach(engine)


def _tried(action: Any) -> bool:
    """Whether `action` went through (a refusal is the walk's normal lot)."""
    try:
        return action() is not False
    except ReliefError:
        return False


def run(url: str, seed: int, journal_path: str) -> None:
    """The driver process: serve the engine's background parts and walk until killed."""
    from engine.timers.scheduler import TimerScheduler
    from workers.runner import InProcessWorker

    engine = make_engine(url)
    journal = Journal(Path(journal_path))
    scheduler = TimerScheduler(engine, watch_seconds=0.2, sweep_seconds=2.0, name=f"crash-scheduler-{seed}")
    scheduler.start()
    InProcessWorker(engine, interval=0.1, worker_id=WORKER_ID).start()
    journal.write(op="ready", pid=os.getpid())

    def walk(n: int) -> None:
        walker = Walker(engine, random.Random(seed * 10 + n), journal, f"{seed}-{n}")
        while True:
            try:
                walker.step()
            except ReliefError:  # lost a race with the other walker, the scheduler or a job: normal
                continue
            except Exception as err:  # noqa: BLE001 - reported to the suite, which fails on it
                journal.write(op="error", error=f"{type(err).__name__}: {err}", trace=traceback.format_exc()[-3000:])
                time.sleep(0.05)

    for n in range(2):
        threading.Thread(target=walk, args=(n,), daemon=True).start()
    while True:
        time.sleep(60)
