"""The dashboard's monthly report as PDF and the breakdowns in its CSV (J-DATA, W-STATS,
issue 14), over HTTP on SQLite and PostgreSQL: the month's figures of the reader's scope;
a month outside the last twelve is refused naming the field; department staff may print
their department's report."""

from __future__ import annotations

import datetime as dt

from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.scenarios.test_jiangyin import accepted, dispatch, handle
from tests.support.material_files import pdf_text


def test_J_DATA_monthly_report_pdf_has_the_months_figures(live, scenario):  # noqa: F811
    handled = accepted(scenario, "RPT-1")  # 2026-11-06, dispatched to and handled by 民政局
    dispatch(handled)
    handle(handled, "civil-affairs")
    accepted(scenario, "RPT-2")
    scenario.engine.clock.advance(dt.timedelta(days=1))
    r = live.call("GET", "/dashboard/report.pdf?month=2026-11", as_="leader")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"] == "attachment; filename=relief-report-2026-11.pdf"
    text = pdf_text(r.content)
    assert "统计月报" in text and "2026-11" in text
    assert "民政局" in text  # the department's name, from the departments file
    figures = live.call("GET", "/dashboard/data.json?months=3", as_="leader").json()
    assert figures["cases"] == 2 and f"受理总数 {figures['cases']}" in " ".join(text.split())


def test_J_DATA_report_month_is_checked_and_roles_follow_the_dashboards(live, scenario):  # noqa: F811, ARG001
    r = live.call("GET", "/dashboard/report.pdf?month=2019-01", as_="leader")
    assert r.status_code == 422 and "month" in r.text  # the page's error names the field
    assert live.call("GET", "/dashboard/report.pdf?month=2026-13", as_="leader").status_code == 422
    assert live.call("GET", "/dashboard/report.pdf?month=2026-11", as_="window").status_code == 403


def test_W_STATS_csv_has_the_breakdowns(live, scenario):  # noqa: F811
    accepted(scenario, "RPT-CSV-1")
    rows = live.call("GET", "/dashboard/data.csv", as_="leader").content.decode("utf-8-sig").splitlines()
    assert "cases_by_hour,09,cases,1" in rows
    assert "cases_by_weekday,5,cases,1" in rows  # a Friday
