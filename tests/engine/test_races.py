"""Issue 9 defect 3: two people acting on one task at the same moment. Exactly one wins,
the other gets 409, and the loser's answer never reaches the case (DESIGN rule 3).

Each try is a real race (tests/support/races.py): two threads, each with an engine of its
own (two server processes), released together by a barrier. The longer suite with its
figures is tests/reliability/test_races.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.errors import Conflict
from engine.store.models import AuditEvent, HumanTask
from tests.support import races


@pytest.fixture
def deployed(engine):
    races.deploy(engine)
    return engine


def _tries(engine) -> int:
    # SQLite serialises writers (BEGIN IMMEDIATE): a few tries show the same there.
    return 3 if engine.db.is_sqlite else 15


@pytest.mark.parametrize("kind", ["claim", "complete", "claim+complete"])
def test_defect3_two_people_acting_on_one_task_have_exactly_one_winner(deployed, kind):
    with races.second_engine(deployed) as other:
        for i in range(_tries(deployed)):
            verdict = races.RACES[kind](deployed, other, f"{kind}-{i}")
            assert verdict.ok, verdict.problems


@pytest.mark.parametrize("kind", ["message", "message+timer", "job", "timer"])
def test_defect3_messages_jobs_and_timers_at_once_take_effect_once(deployed, kind):
    with races.second_engine(deployed) as other:
        for i in range(_tries(deployed)):
            verdict = races.RACES[kind](deployed, other, f"{kind}-{i}")
            assert verdict.ok, verdict.problems


def test_defect3_a_task_the_workflow_no_longer_waits_on_is_not_completed_again(deployed):
    """The task row and the workflow disagree (as after two interleaved completions): the
    command checks the workflow's own task, not only the row."""
    inst, task = races.open_task(deployed, "AGAIN-1")
    deployed.complete(task, {"approved": "no"}, races.CENTRE)
    with deployed.db.session() as s:  # the row says open again; the workflow's task is completed
        s.execute(sa.update(HumanTask).where(HumanTask.id == task)
                  .values(state="open", completed_by=None, assignee=None))
    version = deployed.instance(inst).version
    with pytest.raises(Conflict) as err:
        deployed.complete(task, {"approved": "yes"}, races.OTHER)
    assert "no longer waiting" in err.value.message
    assert deployed.instance(inst).version == version
    with deployed.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == inst, AuditEvent.command == "complete_task")) == 1


def test_defect3_a_deadlock_is_retried_not_answered_500(deployed):
    """Two commands taking two cases' rows in opposite orders (no command of ours does; a
    future one might): PostgreSQL aborts one of them, and the executor runs it again."""
    import threading

    from engine.store.models import Instance

    if deployed.db.is_sqlite:
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: no deadlock can happen there")
    first, second = (deployed.start("mini_case", {}, key, "clerk").id for key in ("DEAD-1", "DEAD-2"))
    barrier = threading.Barrier(2)
    attempts: list[str] = []

    class Crossed:
        name = "crossed"

        def __init__(self, order: tuple[str, str]) -> None:
            self.order = order

        def execute(self, ctx):
            attempts.append(self.order[0])
            rows = [ctx.require(Instance, self.order[0], "instance", lock=True)]
            if attempts.count(self.order[0]) == 1:
                barrier.wait(10)  # both hold their first row now
            rows.append(ctx.require(Instance, self.order[1], "instance", lock=True))
            for row in rows:
                ctx.record(row, self.name, {})

    with races.second_engine(deployed) as other:
        outcomes = races.race(lambda: deployed.executor.run(Crossed((first, second)), "a"),
                              lambda: other.executor.run(Crossed((second, first)), "b"))
    assert all(o.won for o in outcomes), [str(o) for o in outcomes]
    # One of the two ran again; on a loaded machine its retry may itself meet the other's
    # transaction before that one commits and run once more: what counts is that each
    # command took effect exactly once (the versions below).
    assert len(attempts) >= 3
    assert deployed.instance(first).version == deployed.instance(second).version == 3
