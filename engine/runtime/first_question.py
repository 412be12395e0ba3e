"""First-question responsibility (W-FIRST, J-FIRST, T-ONCE): the clerk who first takes a
case is recorded from the signed-in user, and the case's later window tasks go to that
person first; when they are away the task falls back to its groups.

Two task properties, read here and in the commands:

- `recordActor` (user tasks, start events): the case variable that receives the signed-in
  user's name when the task is completed (or the case started), once: a later completion by
  a colleague standing in does not change who is responsible.
- `preferredAssignee` (an expression, e.g. `first_question_user`) with `preferredAssigneeDays`
  (an expression, whole working days, default 1): the task opens held by that user — if
  the user exists, is active and may take the task (its groups, the case's region) — and is
  reserved for them for that many working days. After that, or as soon as the user is
  disabled, any candidate may claim or complete it (the take-over is in the case history)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session

from engine.auth import Principal, scope
from engine.auth.users import to_principal
from engine.calendar import add_working_days
from engine.store.models import HumanTask, Instance, User


def record_actor(props: dict[str, str], data: dict[str, Any], known: dict[str, Any], actor: str | None) -> None:
    """Put the signed-in `actor` into `data` under the variable `recordActor` names, unless
    the case (`known`) already holds a first-question person."""
    var = (props.get("recordActor") or "").strip()
    if var and actor and var.isidentifier() and not var.startswith("_") and not known.get(var):
        data[var] = actor


def _user(session: Session, username: str) -> User | None:
    from sqlalchemy import select
    return session.scalar(select(User).where(User.username == username))


def reservation(session: Session, instance: Instance, opened: Any, now: dt.datetime) -> dict[str, Any]:
    """The `assignee` and `reserved_until` of a task row opening now (`opened`: OpenUserTask)."""
    if not opened.preferred:
        return {"assignee": None, "reserved_until": None}
    user = _user(session, opened.preferred)
    if user is None or not user.active:
        return {"assignee": None, "reserved_until": None}  # not (or no longer) a colleague: the groups
    row = SimpleNamespace(id=str(opened.task.id), candidate_groups=opened.candidate_groups, region=instance.region)
    try:
        scope.check_task_action(to_principal(user), row)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - Forbidden: e.g. a grid worker started it, the task is the window's
        return {"assignee": None, "reserved_until": None}
    until = dt.datetime.fromisoformat(add_working_days(now, opened.preferred_days, instance.region))
    return {"assignee": user.username, "reserved_until": until}


def lapsed(session: Session, row: HumanTask, now: dt.datetime) -> str | None:
    """Why a task reserved for its first-question person may now be taken by a colleague
    ('reservation_expired', 'holder_disabled'), or None while the reservation holds."""
    if row.reserved_until is None or row.assignee is None:
        return None
    until = row.reserved_until if row.reserved_until.tzinfo else row.reserved_until.replace(tzinfo=dt.UTC)
    if now >= until:
        return "reservation_expired"
    holder = _user(session, row.assignee)
    if holder is None or not holder.active:
        return "holder_disabled"
    return None


def take(session: Session, row: HumanTask, who: Principal, now: dt.datetime) -> dict[str, Any] | None:
    """Let `who` hold `row` if the first-question reservation allows it: returns what to
    record about a take-over (from whom, why), None when `who` is the holder; raises
    nothing itself (the caller refuses a task held by someone else)."""
    if row.assignee == who.username:
        row.reserved_until = None  # claimed by the holder: an ordinary claim from now on
        return None
    reason = lapsed(session, row, now)
    if reason is None:
        return None
    taken = {"from": row.assignee, "fallback": reason}
    row.assignee, row.reserved_until = who.username, None
    return taken
