"""The statistics dashboard (J-DATA, W-STATS) for leaders, supervisors and the county
centre: ECharts charts drawn from one JSON endpoint whose figures are the engine's SQL
aggregates over the caller's region (engine/portal/stats.py); and the centre's posting of
public notices (公示) that the portal shows."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from api.security import current_principal, rule
from engine.errors import Conflict, ValidationFailed
from web.dashboard_report import department_names, month_bounds, recent_months, render_pdf
from web.forms import Form
from web.i18n import lazy_text as _l
from web.pages import engine

blp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
# Department staff see their department's cases (engine/portal/stats.py applies the scope rule).
ROLES = ("leader", "supervisor", "dispatcher", "caseworker")
PERIODS = (3, 6, 12, 24)  # months back the period filter offers


def _today() -> dt.date:
    return engine().clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()


def report_months() -> list[str]:
    """The months whose report may be printed: the last twelve, newest first."""
    return recent_months(_today())


def _since() -> tuple[int, dt.date]:
    """The period asked for (`?months=`, one of PERIODS; 12 by default) and its first day."""
    raw = request.args.get("months", "12")
    if not raw.isdigit() or int(raw) not in PERIODS:
        raise ValidationFailed(f"months must be one of {', '.join(map(str, PERIODS))}",
                               {"fields": {"months": [f"one of {PERIODS}"]}})
    months = int(raw)
    today = _today()
    month_index = today.year * 12 + today.month - 1 - (months - 1)  # this month counts as one
    return months, dt.date(month_index // 12, month_index % 12 + 1, 1)


@blp.get("")
@rule(*ROLES)
def index() -> str:
    """The charts (drawn by js/dashboard.js from data.json) and the period filter."""
    months, since = _since()
    return render_template("dashboard/index.html", months=months, since=since, periods=PERIODS,
                           region=current_principal().region, departments=department_names(),
                           report_months=report_months())


@blp.get("/data.json")
@rule(*ROLES)
def data() -> ResponseReturnValue:
    """Every chart's figures for the caller's region and the period (JSON)."""
    _months, since = _since()
    response = jsonify(engine().dashboard(current_principal(), since))
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_rows(figures: dict) -> list[list[object]]:
    """Every chart's data as rows of (chart, category, series, value): what the charts draw."""
    rows: list[list[object]] = [["chart", "category", "series", "value"]]
    for channel, counts in figures["channels"].items():
        rows += [["cases_by_month", month, channel, n] for month, n in zip(figures["months"], counts, strict=True)]
    rows += [["open_by_stage", b["stage"], "open", b["open"]] for b in figures["backlog"]]
    rows += [["on_time", "completed_steps", "completed", figures["on_time"]["completed"]],
             ["on_time", "completed_steps", "on_time", figures["on_time"]["on_time"]]]
    rows += [["average_days_by_stage", d["stage"], "days", d["days"]] for d in figures["durations"]]
    rows += [["overdue_by_group", o["group"], "open", o["open"]] for o in figures["overdue"]]
    rows += [["ratings", score, "count", n] for score, n in figures["ratings"].items()]
    rows.append(["complaints", "open", "count", figures["complaints_open"]])
    rows += [["cases_by_hour", f"{hour:02d}", "cases", n] for hour, n in enumerate(figures["by_hour"])]
    rows += [["cases_by_weekday", day, "cases", n] for day, n in enumerate(figures["by_weekday"], start=1)]
    rows += [["cases_by_region", r["region"], "cases", r["cases"]] for r in figures["by_region"]]
    for d in figures["departments"]:
        rows += [["departments", d["department"], key, d[key]]
                 for key in ("dispatched", "open", "overdue", "completed", "on_time", "on_time_rate", "working_days")]
    return rows


@blp.get("/data.csv")
@rule(*ROLES)
def data_csv() -> ResponseReturnValue:
    """The same figures as data.json, one CSV for every chart (UTF-8 with BOM: Excel opens it)."""
    _months, since = _since()
    out = io.StringIO()
    csv.writer(out).writerows(csv_rows(engine().dashboard(current_principal(), since)))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=relief-statistics-{since.isoformat()}.csv",
        "Cache-Control": "no-store"})


@blp.get("/report.pdf")
@rule(*ROLES)
def report() -> ResponseReturnValue:
    """The monthly report of the caller's scope as PDF (`?month=YYYY-MM`, one of the last twelve)."""
    month = request.args.get("month", "")
    if month not in report_months():
        raise ValidationFailed("month must be one of the last twelve months, as YYYY-MM",
                               {"fields": {"month": [f"one of {', '.join(report_months())}"]}})
    first, following = month_bounds(month)
    who = current_principal()
    pdf = render_pdf(engine().dashboard(who, first, following), month, who.region, engine().clock.now())
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=relief-report-{month}.pdf", "Cache-Control": "no-store"})


class NoticeForm(Form):
    business_key = StringField(_l("业务编号（申办流水号）"),
                               validators=[DataRequired(_l("请输入业务编号")), Length(max=120)])
    item = StringField(_l("救助事项"), validators=[DataRequired(_l("请输入救助事项")), Length(max=80)])
    amount = StringField(_l("救助金额"), validators=[Optional(), Length(max=40)], description=_l("如：每月 620 元"))
    household_size = IntegerField(_l("家庭人口"), validators=[Optional(), NumberRange(1, 30)])


@blp.route("/notices", methods=["GET", "POST"])
@rule("dispatcher")
def notices() -> ResponseReturnValue:
    """The county centre posts an approved (completed) case publicly for seven days
    (J-PUBLIC, W-NOTICE): the portal shows only the masked name, household size, item and amount."""
    who = current_principal()
    form = NoticeForm()
    if form.validate_on_submit():
        cases = engine().instances_for(who, business_key=form.business_key.data.strip(), limit=2)
        if len(cases) != 1:
            form.business_key.errors = [gettext("本辖区没有这个业务编号的案件")]
        else:
            try:
                engine().post_notice(who, cases[0].id, form.item.data.strip(), (form.amount.data or "").strip() or None,
                                     form.household_size.data)
            except Conflict:
                form.business_key.errors = [gettext("只有已办结的案件可以公示，且每个案件只公示一次")]
            else:
                flash(gettext("已发布公示，公示期 7 天。"), "success")
                return redirect(url_for("web.dashboard.notices"))
    status = 422 if form.errors else 200
    return render_template("dashboard/notices.html", form=form, notices=engine().public_notices()), status


@blp.get("/feedback")
@rule("dispatcher", "leader")
def feedback() -> str:
    """Bad ratings to follow up by their deadline and open complaints (J-FEEDBACK, W-COMPLAIN),
    with what the applicant wrote: for the roles that handle them (their region)."""
    return render_template("dashboard/feedback.html", rows=engine().feedback_for(current_principal()))
