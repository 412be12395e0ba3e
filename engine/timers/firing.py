"""Firing due timers and recomputing provisional deadlines, for `Engine` (X-TIMERS)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from engine.calendar import OFFICIAL_LAST_YEAR, shared
from engine.errors import Conflict, ReliefError
from engine.runtime import commands as cmd
from engine.store.models import Timer

if TYPE_CHECKING:
    from engine.service import Engine

log = logging.getLogger("relief.timers")
BATCH = 20  # timers per transaction while draining a backlog


def fire_due(engine: Engine, limit: int | None, actor: str, batch: int = BATCH) -> int:
    """Claim-and-fire the oldest due timers, `batch` per transaction, until none is due
    (or `limit` fired).

    If a batch fails, the round goes on one timer per transaction; a timer whose own
    firing fails is skipped for the rest of this round. A failure of the diagram (not a
    lost race) is counted on the timer; the third makes it an incident that waits for an
    operator instead of being retried at every watch."""
    fired, skip = 0, []
    due_by = engine.clock.now()  # one horizon per round: a round always ends
    while limit is None or fired < limit:
        size = batch if limit is None else min(batch, limit - fired)
        command = cmd.FireNextDueTimers(tuple(skip), due_by, size)
        try:
            timers = engine.executor.run(command, actor)
        except Exception as err:  # noqa: BLE001 - one broken timer must not stop the others
            if command.timer_id is None:
                raise
            if size > 1:
                batch = 1  # nothing of the batch was stored: find the culprit one by one
                continue
            log.warning("timer %s not fired: %s", command.timer_id, err)
            skip.append(command.timer_id)
            if not isinstance(err, (Conflict, sa.exc.DBAPIError)):  # races and deadlocks pass by themselves
                _count_failure(engine, command.timer_id, err, actor)
            continue
        if not timers:
            break
        fired += len(timers)
    return fired


def _count_failure(engine: Engine, timer_id: str, err: Exception, actor: str) -> None:
    message = err.message if isinstance(err, ReliefError) else f"{type(err).__name__}: {err}"
    try:
        timer = engine.executor.run(cmd.RecordTimerFailure(timer_id, message), actor)
    except Exception:  # noqa: BLE001 - counting is best effort; the timer stays pending
        log.exception("could not record the failure of timer %s", timer_id)
        return
    if timer.state == "incident":
        log.error("timer %s (%s) is an incident after %d failed firings: %s",
                  timer.id, timer.bpmn_id, timer.failures, message)


def recompute_provisional(engine: Engine, reason: str, actor: str) -> list[dict[str, Any]]:
    """Run RecomputeDeadlines for every instance with a pending provisional timer."""
    with engine.db.session() as s:
        instances = list(s.scalars(sa.select(Timer.instance_id).where(
            Timer.state == "pending", Timer.provisional.is_(True)).group_by(Timer.instance_id)
            .order_by(sa.func.min(Timer.due_at))))
    changed: list[dict[str, Any]] = []
    for instance_id in instances:
        for item in engine.executor.run(cmd.RecomputeDeadlines(instance_id, reason), actor):
            changed.append({"instance": instance_id, **item})
    if changed:
        log.info("recomputed %d provisional deadline(s): %s", len(changed), reason)
    return changed


def check_calendar_upgrade(engine: Engine) -> list[dict[str, Any]]:
    """Compare the package's last official year with the one stored at the last start."""
    known = engine.settings.get(shared.OFFICIAL_LAST_YEAR)
    if known is not None and int(known) >= OFFICIAL_LAST_YEAR:
        return []
    with engine.db.session() as s:
        shared.SharedSettings.put(s, shared.OFFICIAL_LAST_YEAR, OFFICIAL_LAST_YEAR, engine.clock.now())
    if known is None:
        return []  # first start: deadlines were computed with this package already
    return recompute_provisional(
        engine, f"chinesecalendar upgraded: official data {int(known)} → {OFFICIAL_LAST_YEAR}", "calendar")
