"""Claim and fire the oldest due timers in one transaction (X-TIMERS).

On PostgreSQL the timer rows and their instances' rows are taken with FOR UPDATE SKIP
LOCKED and stay locked until the firing commits, so several schedulers work through the
due timers side by side and never pick the same one, nor a case another command holds;
FireTimer's state and version checks are the second guard.
A batch of several timers shares one transaction (a backlog drains faster); each timer
still gets its own audit event in its own instance's chain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from engine.runtime.commands.fire_timer import FireTimer
from engine.runtime.context import CommandContext
from engine.store.models import Instance, Timer


@dataclass
class FireNextDueTimers:
    """Fire up to `batch` timers due longest ago (not in `skip`); [] when nothing is due."""

    skip: tuple[str, ...] = ()
    due_by: dt.datetime | None = None  # default: the command time
    batch: int = 1
    name: str = "fire_timer"
    timer_id: str | None = field(default=None, compare=False)  # the one being fired, for error handling

    def execute(self, ctx: CommandContext) -> list[Timer]:
        self.timer_id = None
        q = (sa.select(Timer).join(Instance, Instance.id == Timer.instance_id)
             .where(Timer.state == "pending", Timer.due_at <= (self.due_by or ctx.now)))
        if self.skip:
            q = q.where(Timer.id.not_in(self.skip))
        # ORDER BY due_at alone: the (state, due_at) index answers it without a sort.
        # Whole rows: FireTimer then finds them (and their instances) in the session.
        # The instances are locked with their timers (as `CommandContext.lock` would, in one
        # statement): a timer whose case another command holds now is left to the next round.
        claimed = list(ctx.session.scalars(q.order_by(Timer.due_at).limit(self.batch)
                                           .with_for_update(of=(Timer, Instance), skip_locked=True)))
        ctx.locked.update((Timer, t.id) for t in claimed)
        ctx.prefetch([t.instance_id for t in claimed])
        fired = []
        for timer in claimed:
            self.timer_id = timer.id
            fired.append(FireTimer(timer.id).execute(ctx))
        return fired
