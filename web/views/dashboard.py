"""The statistics dashboard (J-DATA, W-STATS) for leaders, supervisors and the county
centre: ECharts charts drawn from one JSON endpoint whose figures are the engine's SQL
aggregates over the caller's region (engine/portal/stats.py)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from api.security import current_principal, rule
from engine.errors import ValidationFailed
from web.pages import engine

blp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
ROLES = ("leader", "supervisor", "dispatcher")
PERIODS = (3, 6, 12, 24)  # months back the period filter offers


def _since() -> tuple[int, dt.date]:
    """The period asked for (`?months=`, one of PERIODS; 12 by default) and its first day."""
    raw = request.args.get("months", "12")
    if not raw.isdigit() or int(raw) not in PERIODS:
        raise ValidationFailed(f"months must be one of {', '.join(map(str, PERIODS))}",
                               {"fields": {"months": [f"one of {PERIODS}"]}})
    months = int(raw)
    today = engine().clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    month_index = today.year * 12 + today.month - 1 - (months - 1)  # this month counts as one
    return months, dt.date(month_index // 12, month_index % 12 + 1, 1)


@blp.get("")
@rule(*ROLES)
def index() -> str:
    """The charts (drawn by js/dashboard.js from data.json) and the period filter."""
    months, since = _since()
    return render_template("dashboard/index.html", months=months, since=since, periods=PERIODS,
                           region=current_principal().region)


@blp.get("/data.json")
@rule(*ROLES)
def data() -> ResponseReturnValue:
    """Every chart's figures for the caller's region and the period (JSON)."""
    _months, since = _since()
    response = jsonify(engine().dashboard(current_principal(), since))
    response.headers["Cache-Control"] = "no-store"
    return response
