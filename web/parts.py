"""The page parts drawn once per row or per cell (badge, deadline badge, table cell), as
Python functions that return markup. Jinja macros cost ~15 µs a call before any work
(argument binding, a new frame, a `caller` macro per `{% call %}`), and a list page
calls them hundreds of times: the 50-row task list spent most of its server time in
them (docs/bench.md). The templates keep importing these parts from parts/badge.html and
parts/table.html, which bind their names to these functions, so every page uses them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from web.deadlines import deadline
from web.i18n import datetime_filter
from web.i18n import text as gettext

TONES = {"overdue": "danger", "today": "warning", "soon": "warning", "ok": "neutral"}


def badge(text: object, tone: str = "neutral", title: object = None) -> Markup:
    """A short status word with a colour that is never the only signal."""
    # Markup's % escapes each value; Markup.format goes through string.Formatter, ~10× slower.
    if title:
        return Markup('<span class="badge badge--%s" title="%s">%s</span>') % (tone, title, text)
    return Markup('<span class="badge badge--%s">%s</span>') % (tone, text)


def deadline_badge(due_at: dt.datetime | None, provisional: bool = False, region: str | None = None) -> Markup:
    """剩余 2 个工作日 / 今日到期 / 已超期 1 个工作日, plus 暂定 when provisional; the full due
    date and time in its tooltip and in a <time> element (web/deadlines.py counts, each
    span of days once per request)."""
    d = deadline(due_at, provisional, region)
    if d is None:
        return Markup('<span class="muted">%s</span>') % gettext("无期限")
    # One escaped string (Markup's % makes a helper object per value: this runs per row).
    title = escape(gettext("期限：%(at)s", at=datetime_filter(d.due_at)))
    html = (f'<span class="deadline"><time class="badge badge--{TONES[d.tone]}" datetime="{d.due_at.isoformat()}" '
            f'title="{title}">{escape(d.text)}</time>')
    if d.provisional:
        note = escape(gettext("该年度节假日安排尚未公布，期限为暂定，公布后自动重算"))
        html += f' <span class="badge badge--info" title="{note}">{escape(gettext("暂定"))}</span>'
    return Markup(html + "</span>")  # noqa: S704 - every value above is escaped


def cell(label: object, class_: str = "", header: bool = False, caller: Callable[[], str] | None = None,
         body: object = "", **kwargs: str) -> Markup:
    """A table cell labelled by its column (`data-label`: the card layout below 640 px);
    `{% call cell(_("姓名")) %}…{% endcall %}`, or `header=True` for the row's header;
    from Python, its content as `body` (escaped unless Markup)."""
    class_ = kwargs.get("class", class_)
    if caller is not None:
        body = caller()
    if header:
        return Markup('<th scope="row" class="%s" data-label="%s">%s</th>') % (class_, label, body)
    return Markup('<td class="%s" data-label="%s">%s</td>') % (class_, label, body)


def row(cells: Sequence[tuple[object, object]], kind: str | None = None) -> Markup:
    """A table row of `(label, content)` cells, the first the row's header: one call per row
    for a list drawn from a row view-model (web/task_rows.py), the same markup as `cell`."""
    (head_label, head), *rest = cells
    # One escaped string, not a `cell` per cell: this runs for every row of a list.
    out = [f'<tr data-kind="{escape(kind)}">' if kind else "<tr>",
           f'<th scope="row" class="" data-label="{escape(head_label)}">{escape(head)}</th>']
    out.extend(f'<td class="" data-label="{escape(label)}">{escape(content)}</td>' for label, content in rest)
    out.append("</tr>")
    return Markup("".join(out))  # noqa: S704 - every value above is escaped
