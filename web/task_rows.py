"""The task list's rows as display values, made once in Python (a row view-model): the
column labels translated once per page, each task's link from one URL prefix, names and
badges from web/parts.py. Drawing the 50 rows cell by cell in Jinja (a macro, a Babel
look-up and a `url_for` per cell) was most of the page's server time (docs/bench.md).
The template draws each row with one call: `{{ row(cells) }}`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from flask import url_for
from markupsafe import Markup, escape

from engine.worklist import TaskRow, WaitRow
from web.i18n import datetime_filter
from web.i18n import text as gettext
from web.parts import badge, deadline_badge
from web.people import person

Cells = tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Table:
    """A list's column labels (its head) and each row's `(label, content)` cells."""

    head: list[str]
    rows: list[Cells]


def _prefix(endpoint: str, **values: str) -> str:
    """The URL of `endpoint` without its last path part, to add each row's id to."""
    url = url_for(endpoint, **values)
    return url[: url.rindex("/") + 1]


def _link(prefix: str, ident: object, text: object) -> Markup:
    url = prefix + quote(str(ident), safe="")
    return Markup(f'<a href="{escape(url)}">{escape(text)}</a>')  # noqa: S704 - both escaped (once per row)


def _case_key(business_key: str | None, green: bool, green_badge: Markup) -> Markup | str:
    return Markup("%s %s") % (business_key or "—", green_badge) if green else business_key or "—"


def task_table(rows: Iterable[TaskRow], *, me: str, now: dt.datetime, done: bool, names: Mapping[str, str],
               channels: Mapping[str, object]) -> Table:
    """The task list of a tab (`done`: "done by me", with completion times for deadlines)."""
    task_l, key_l, applicant_l, process_l, channel_l, assignee_l = (
        gettext("事项"), gettext("案件编号"), gettext("申请人"), gettext("流程"), gettext("渠道"), gettext("办理人"))
    last_l = gettext("完成时间") if done else gettext("期限")
    green, mine = badge(gettext("绿色通道"), "success"), badge(gettext("我"), "info")
    expired = badge(gettext("首问预留已过期，可接办"), "warning")
    unclaimed = Markup('<span class="muted">%s</span>') % gettext("待认领")
    channel_text = {code: str(text) for code, text in channels.items()}
    prefix = _prefix("web.tasks.show", task_id="0")
    out = []
    for r in rows:
        t = r.task
        if t.assignee == me and not done:
            holder: object = mine
        elif t.assignee:
            late = t.reserved_until is not None and t.reserved_until < now
            holder = Markup("%s %s") % (person(t.assignee), expired) if late else person(t.assignee)
        else:
            holder = unclaimed
        last = datetime_filter(t.ended_at) if done else deadline_badge(t.due_at, t.due_provisional, t.region)
        out.append(((task_l, _link(prefix, t.id, t.name)), (key_l, _case_key(r.business_key, r.green, green)),
                    (applicant_l, r.applicant_name or "—"),
                    (process_l, names.get(r.process_key, r.process_key or "")),
                    (channel_l, channel_text.get(r.channel, r.channel or "—")), (assignee_l, holder), (last_l, last)))
    return Table([task_l, key_l, applicant_l, process_l, channel_l, assignee_l, last_l], out)


def wait_table(waits: Iterable[WaitRow], *, names: Mapping[str, str]) -> Table:
    """Department waits (no task row): the case, the department and the deadline."""
    task_l, key_l, applicant_l, department_l, process_l, due_l = (
        gettext("事项"), gettext("案件编号"), gettext("申请人"), gettext("部门"), gettext("流程"), gettext("期限"))
    green, waiting = badge(gettext("绿色通道"), "success"), badge(gettext("等待部门回复"), "warning")
    prefix = _prefix("web.cases.show", instance_id="0")
    out = []
    for w in waits:
        out.append(((task_l, Markup("%s %s") % (waiting, _link(prefix, w.wait.instance_id, w.wait.name))),
                    (key_l, _case_key(w.business_key, w.green, green)), (applicant_l, w.applicant_name or "—"),
                    (department_l, w.wait.department_name or w.wait.department or "—"),
                    (process_l, names.get(w.process_key, w.process_key or "")),
                    (due_l, deadline_badge(w.wait.due_at, w.wait.due_provisional, w.wait.region))))
    return Table([task_l, key_l, applicant_l, department_l, process_l, due_l], out)
