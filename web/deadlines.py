"""Deadlines as a clerk counts them: in working days of the engine's calendar, from
today (the engine's clock): 剩余 2 个工作日, 今日到期, 已超期 1 个工作日; marked 暂定
(provisional) while the holiday arrangement of the deadline's year is not published."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app, g

from web.i18n import ntext as ngettext
from web.i18n import text as gettext

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SOON = 2  # working days left at which a deadline turns amber


@dataclass(frozen=True)
class Deadline:
    """What a deadline badge shows: its words, its tone and the full due moment."""

    text: str
    tone: str  # overdue | today | soon | ok
    due_at: dt.datetime
    provisional: bool


def _calendar(engine: Any) -> Any:
    """The engine's working calendar as of this request: asking the engine for it checks the
    calendar's revision in the database, one round trip that a list of 50 badges made 50
    times (issue 15); one request is one moment."""
    if "relief_calendar" not in g:
        g.relief_calendar = engine.calendar.current()
    return g.relief_calendar


def calendar() -> Any:
    """The engine's working calendar as of this request (`_calendar`)."""
    return _calendar(current_app.extensions["relief_engine"])


def _moment() -> tuple[Any, dt.datetime, dt.date]:
    """The request's calendar, now and today (Asia/Shanghai): once per request, not per
    badge (the engine's clock and the app's extensions are looked up through proxies)."""
    kept = g.get("relief_deadline_moment")
    if kept is None:
        engine = current_app.extensions["relief_engine"]
        now = engine.clock.now()
        kept = g.relief_deadline_moment = (_calendar(engine), now, now.astimezone(SHANGHAI).date())
    return kept


def deadline(due_at: dt.datetime | None, provisional: bool = False, region: str | None = None) -> Deadline | None:
    """The badge of a deadline due at `due_at` (None when there is no deadline)."""
    if due_at is None:
        return None
    calendar, now, today = _moment()
    due_day = due_at.astimezone(SHANGHAI).date()
    if now > due_at:
        late = calendar.working_days_between(due_day, today, region)
        if late == 0:
            return Deadline(gettext("今日已超期"), "overdue", due_at, provisional)
        return Deadline(ngettext("已超期 %(num)d 个工作日", "已超期 %(num)d 个工作日", late), "overdue", due_at,
                        provisional)
    if due_day == today:
        return Deadline(gettext("今日到期"), "today", due_at, provisional)
    left = calendar.working_days_between(today, due_day, region)
    if left == 0:  # due on a rest day before the next working day
        return Deadline(gettext("不足 1 个工作日"), "today", due_at, provisional)
    return Deadline(ngettext("剩余 %(num)d 个工作日", "剩余 %(num)d 个工作日", left),
                    "soon" if left <= SOON else "ok", due_at, provisional)
