"""Two callers at the same moment: real threads released together by a barrier, each with
an engine of its own (as two server processes would have), so that their transactions
really overlap on the database.

Each `*_race` function sets up one fresh case on the mini or race diagram
(tests/fixtures), runs one race and returns a `Verdict`: what each side got and what went
wrong — a double winner (both acted where only one may), a lost update (the winner's
effect missing, or the loser's effect in the case), or an answer other than the refusal
the loser must get. tests/engine/test_races.py runs a few of each (issue 9, defect 3);
tests/reliability/test_races.py runs many and reports the figures."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine.auth import Principal
from engine.definitions.bundle import BundleFile
from engine.errors import ReliefError
from engine.service import Engine
from engine.store.models import AuditEvent, HumanTask, Job, Timer
from tests.engine.helpers import FIXTURES, mini_bundle

CENTRE = Principal("centre-1", ("dispatcher",), ("county-centre",))
OTHER = Principal("centre-2", ("dispatcher",), ("county-centre",))
ID_NUMBER = "11010519491231002X"


@dataclass
class Outcome:
    """What one caller got: `value` when it returned, `error` when it raised."""

    value: Any = None
    error: BaseException | None = None

    @property
    def won(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        """The HTTP status the API would answer with (200 when it returned, 500 for an
        error that is no ReliefError)."""
        if self.error is None:
            return 200
        return self.error.status if isinstance(self.error, ReliefError) else 500

    def __str__(self) -> str:
        return "won" if self.won else f"{type(self.error).__name__}: {self.error}"


@dataclass
class Verdict:
    """One race: the outcomes and every problem found (none when all went right)."""

    kind: str
    outcomes: list[Outcome]
    double_winner: bool = False
    lost_update: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def check_one_winner(self, refusals: tuple[int, ...] = (409,)) -> int | None:
        """Exactly one side won and the other was refused with one of `refusals`; returns
        the winner's index (None when there was no single winner)."""
        winners = [i for i, o in enumerate(self.outcomes) if o.won]
        if len(winners) > 1:
            self.double_winner = True
            self.problems.append(f"{self.kind}: both won")
        for o in self.outcomes:
            if not o.won and o.status not in refusals:
                self.problems.append(f"{self.kind}: the loser got {o.status} ({o}), not {refusals}")
        if not winners:
            self.problems.append(f"{self.kind}: nobody won ({'; '.join(map(str, self.outcomes))})")
        return winners[0] if len(winners) == 1 else None

    def expect(self, condition: bool, what: str) -> None:
        """A lost update unless `condition` holds."""
        if not condition:
            self.lost_update = True
            self.problems.append(f"{self.kind}: {what} ({'; '.join(map(str, self.outcomes))})")


def race(*calls: Callable[[], Any], timeout: float = 60) -> list[Outcome]:
    """Run `calls` in threads released at once; each one's outcome, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout)
            outcomes[i].value = call()
        except BaseException as err:  # noqa: BLE001 - reported to the test as the outcome
            outcomes[i].error = err

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        if t.is_alive():
            raise AssertionError(f"a racing call did not finish within {timeout} s (a deadlock?)")
    return outcomes


@contextmanager
def second_engine(engine: Engine) -> Iterator[Engine]:
    """Another engine on `engine`'s database, with the same clock: a second server process."""
    other = Engine(engine.db.url, clock=engine.clock, forms_root=engine.forms_root,
                   known_topics=engine.known_topics)
    try:
        yield other
    finally:
        other.dispose()


def deploy(engine: Engine) -> None:
    """The diagrams the races run on: mini (a user task with a deadline, then a job) and
    race (a message or a deadline, whichever comes first)."""
    engine.deploy(mini_bundle(), "designer")
    engine.deploy([BundleFile("race.bpmn", "bpmn", (FIXTURES / "race.bpmn").read_bytes())], "designer")


def open_task(engine: Engine, key: str) -> tuple[str, str]:
    inst = engine.start("mini_case", {}, key, "clerk")
    with engine.db.session() as s:
        task_id = s.scalar(sa.select(HumanTask.id).where(HumanTask.instance_id == inst.id,
                                                         HumanTask.state == "open"))
    return inst.id, task_id


def _events(engine: Engine, instance_id: str, command: str) -> list[AuditEvent]:
    with engine.db.session() as s:
        return list(s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                          AuditEvent.command == command).order_by(AuditEvent.seq)))


def _task(engine: Engine, task_id: str) -> HumanTask:
    with engine.db.session() as s:
        return s.get(HumanTask, task_id)


def claim_race(a: Engine, b: Engine, key: str) -> Verdict:
    """Two people claim one task: one gets it, the other 409 naming the claimant."""
    inst, task = open_task(a, key)
    verdict = Verdict("claim", race(lambda: a.claim(task, CENTRE), lambda: b.claim(task, OTHER)))
    winner = verdict.check_one_winner()
    if winner is not None:
        who = (CENTRE, OTHER)[winner]
        verdict.expect(_task(a, task).assignee == who.username, "the task is not the winner's")
        verdict.expect([e.actor for e in _events(a, inst, "claim_task")] == [who.username],
                       "not exactly the winner's claim in the history")
    return verdict


def complete_race(a: Engine, b: Engine, key: str) -> Verdict:
    """Two people complete one (unclaimed) task with different answers: one is kept whole,
    nothing of the other reaches the case."""
    inst, task = open_task(a, key)
    verdict = Verdict("complete", race(
        lambda: a.complete(task, {"approved": "no"}, CENTRE),
        lambda: b.complete(task, {"approved": "no", "applicant_id_number": ID_NUMBER}, OTHER)))
    winner = verdict.check_one_winner()
    if winner is not None:
        who = (CENTRE, OTHER)[winner]
        verdict.expect([e.actor for e in _events(a, inst, "complete_task")] == [who.username],
                       "not exactly the winner's completion in the history")
        data = a.case_data(a.instance(inst))
        verdict.expect(("applicant_id_number" in data) == (winner == 1), "the case data mixes both answers")
        verdict.expect(_task(a, task).completed_by == who.username, "the task row names someone else")
    return verdict


def claim_complete_race(a: Engine, b: Engine, key: str) -> Verdict:
    """One claims while the other completes: whichever comes first wins, the other gets 409."""
    inst, task = open_task(a, key)
    verdict = Verdict("claim+complete", race(lambda: a.claim(task, CENTRE),
                                             lambda: b.complete(task, {"approved": "no"}, OTHER)))
    winner = verdict.check_one_winner()
    row = _task(a, task)
    if winner == 0:
        verdict.expect((row.state, row.assignee) == ("open", CENTRE.username), "the claim did not hold")
        verdict.expect(not _events(a, inst, "complete_task"), "a completion of a task claimed by another")
    elif winner == 1:
        verdict.expect((row.state, row.completed_by) == ("completed", OTHER.username), "the completion is lost")
        verdict.expect(not _events(a, inst, "claim_task"), "a claim of a completed task")
    return verdict


def _clerk(username: str) -> Principal:
    """A window clerk: the race diagram's documents come from clerks (allowedSenders role:clerk);
    no region, as the race cases are started without one."""
    return Principal(username, roles=("clerk",), groups=("window",))


def message_race(a: Engine, b: Engine, key: str) -> Verdict:
    """Two senders answer one waiting case: the first is delivered, the second finds
    nobody waiting (404: the case has ended, or 409)."""
    inst = a.start("race_case", {}, key, "clerk").id
    verdict = Verdict("message", race(
        lambda: a.correlate("supplementary_documents", key, {"documents": ["first"]}, _clerk("window-1")),
        lambda: b.correlate("supplementary_documents", key, {"documents": ["second"]}, _clerk("window-2"))))
    winner = verdict.check_one_winner((404, 409))
    if winner is not None:
        data = a.case_data(a.instance(inst))
        verdict.expect(data.get("supplement") == {"documents": [("first", "second")[winner]]},
                       f"the case holds {data.get('supplement')}, not the winner's documents")
        verdict.expect(len(_events(a, inst, "correlate_message")) == 1, "not exactly one delivery in the history")
    return verdict


def message_timer_race(a: Engine, b: Engine, key: str) -> Verdict:
    """The documents arrive as their deadline fires: the case takes exactly one way."""
    inst = a.start("race_case", {}, key, "clerk").id
    with a.db.session() as s:
        timer_id = s.scalar(sa.select(Timer.id).where(Timer.instance_id == inst))
    a.advance_clock(dt.timedelta(days=5))  # past the one working day
    verdict = Verdict("message+timer", race(
        lambda: a.correlate("supplementary_documents", key, {"documents": ["late"]}, _clerk("window-1")),
        lambda: b.fire_timer(timer_id)))
    verdict.check_one_winner((404, 409))
    ends = {c["element"] for e in _events(a, inst, "correlate_message") + _events(a, inst, "fire_timer")
            for c in e.changes if c["to"] == "COMPLETED" and c["element"] in ("End_Received", "End_Expired")}
    verdict.expect(len(ends) == 1 and a.instance(inst).status == "completed", f"the case ended at {sorted(ends)}")
    return verdict


def job_race(a: Engine, b: Engine, key: str) -> Verdict:
    """A worker's report sent twice at once (a retried request): the job completes once."""
    inst, task = open_task(a, key)
    a.complete(task, {"approved": "yes"}, CENTRE)
    [job] = a.fetch_and_lock("w1", ["applicant.notify"], lock_seconds=60)
    verdict = Verdict("job", race(lambda: a.complete_job(job.id, "w1", {"sent": 1}),
                                  lambda: b.complete_job(job.id, "w1", {"sent": 2})))
    winner = verdict.check_one_winner()
    if winner is not None:
        with a.db.session() as s:
            row = s.get(Job, job.id)
        verdict.expect(row.state == "completed" and row.result == {"sent": winner + 1}, "the job holds another result")
        verdict.expect(len(_events(a, inst, "complete_job")) == 1, "not exactly one completion in the history")
        verdict.expect(a.instance(inst).status == "completed", "the case did not go on")
    return verdict


def timer_race(a: Engine, b: Engine, key: str) -> Verdict:
    """Two schedulers fire one due timer: it fires once, one supervision task opens."""
    inst, _task_id = open_task(a, key)
    with a.db.session() as s:
        timer_id = s.scalar(sa.select(Timer.id).where(Timer.instance_id == inst, Timer.state == "pending"))
    a.advance_clock(dt.timedelta(days=7))  # past the two working days
    verdict = Verdict("timer", race(lambda: a.fire_timer(timer_id), lambda: b.fire_timer(timer_id)))
    if verdict.check_one_winner() is not None:
        verdict.expect(len(_events(a, inst, "fire_timer")) == 1, "not exactly one firing in the history")
        with a.db.session() as s:
            opened = s.scalar(sa.select(sa.func.count()).select_from(HumanTask).where(
                HumanTask.instance_id == inst, HumanTask.bpmn_id == "Task_Supervise"))
        verdict.expect(opened == 1, f"{opened} supervision tasks")
    return verdict


RACES: dict[str, Callable[[Engine, Engine, str], Verdict]] = {
    "claim": claim_race,
    "complete": complete_race,
    "claim+complete": claim_complete_race,
    "message": message_race,
    "message+timer": message_timer_race,
    "job": job_race,
    "timer": timer_race,
}
