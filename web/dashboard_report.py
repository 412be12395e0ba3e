"""The dashboard's monthly report as PDF (J-DATA, W-STATS, issue 14): the month's figures of
the reader's scope in tables with bars drawn in CSS (a PDF has no script to draw ECharts),
printed with WeasyPrint and the Noto CJK fonts, as the case notices are (api/notices.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template

from api.notices import chinese_date
from workers.departments import departments

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def department_names() -> dict[str, str]:
    """Department code → name, from the departments file (workers/departments.json)."""
    return {code: entry.get("name", code) for code, entry in departments().items()
            if not code.startswith("_") and isinstance(entry, dict)}


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """`YYYY-MM` → its first day and the first day of the next month (ValueError if malformed)."""
    first = dt.datetime.strptime(month, "%Y-%m").date()
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def recent_months(today: dt.date, count: int = 12) -> list[str]:
    """The last `count` months, newest first (this month included), as YYYY-MM."""
    index = today.year * 12 + today.month - 1
    return [f"{(index - n) // 12:04d}-{(index - n) % 12 + 1:02d}" for n in range(count)]


def _bars(values: list[int | float]) -> list[float]:
    top = max(values, default=0) or 1
    return [round(100 * v / top, 1) for v in values]


def render_pdf(figures: dict[str, Any], month: str, region: str | None, printed: dt.datetime) -> bytes:
    """The monthly report for `figures` (Engine.dashboard of that month) as PDF bytes."""
    from weasyprint import HTML  # noqa: PLC0415 - loads Pango: only when a report is printed

    html = render_template(
        "dashboard/report.html", figures=figures, month=month, region=region or "—",
        printed=chinese_date(printed), names=department_names(), weekdays=WEEKDAYS,
        hour_bars=_bars(figures["by_hour"]), weekday_bars=_bars(figures["by_weekday"]),
        region_bars=_bars([r["cases"] for r in figures["by_region"]]))
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"the report loads nothing from outside ({url})")
