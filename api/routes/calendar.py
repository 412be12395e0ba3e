"""The working-day calendar for admins: months, overrides, imports, deadline counting (X-TIMERS)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields, validate

from api import schemas
from api.inputs import ApiSchema as Schema  # every schema gets the input rules of api/inputs.py
from api.routes.common import engine
from api.security import AUTHENTICATED, current_principal, rule
from engine.errors import ValidationFailed

blp = Blueprint("calendar", __name__, url_prefix="/api/v1/calendar", description="Working-day calendar")

# What the views below accept, stated in the OpenAPI document as well.
MONTH_PARAM = {"in": "path", "name": "month", "required": True, "description": "YYYY-MM, 1900-01 to 2200-12",
               "schema": {"type": "string", "pattern": r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$"}}
DATE_PARAM = {"in": "path", "name": "date", "required": True, "schema": {"type": "string", "format": "date"}}
START = validate.Regexp(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
                        r"(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$",
                        error="YYYY-MM-DD or an ISO time such as 2026-11-02T09:00:00+08:00")

REGION = fields.String(validate=validate.Length(1, 40), load_default=None,
                       metadata={"description": "region code; national when omitted"})


class MonthQuery(Schema):
    region = REGION


class DayOut(Schema):
    date = fields.Date(attribute="day")
    working = fields.Boolean()
    provisional = fields.Boolean(metadata={"description": "the year's arrangement is not published yet"})
    override = fields.String(allow_none=True, metadata={"description": "scope of the override that decided"})
    note = fields.String()


class DaySet(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["holiday", "workday"]))
    region = REGION
    note = fields.String(load_default="", validate=validate.Length(0, 200))
    source = fields.String(load_default="", validate=validate.Length(0, 200))


class OverrideOut(Schema):
    date = fields.String()
    kind = fields.String()
    scope = fields.String()
    note = fields.String()
    source = fields.String()


class ImportRequest(Schema):
    content = fields.String(required=True, validate=validate.Length(1, 200_000),
                            metadata={"description": "CSV (date,kind,note) or YAML (year, holidays, workdays)"})
    filename = fields.String(load_default="", validate=validate.Length(0, 255),
                             metadata={"description": "its name; .csv / .yaml decide the format"})
    source = fields.String(load_default="", validate=validate.Length(0, 200))


class RecomputedOut(Schema):
    instance = fields.String()
    timer = fields.String()
    element = fields.String()
    to = fields.String()
    provisional = fields.Boolean()
    from_ = fields.String(data_key="from", attribute="from")


class ImportOut(Schema):
    year = fields.Integer()
    days = fields.Integer()
    holidays = fields.Integer()
    workdays = fields.Integer()
    source = fields.String()
    recomputed = fields.List(fields.Nested(RecomputedOut))


class CountQuery(Schema):
    start = fields.String(required=True, validate=START, metadata={"description": "YYYY-MM-DD or ISO time with offset"})
    n = fields.Integer(required=True, validate=validate.Range(0, 3660))
    region = REGION


class CountOut(Schema):
    date = fields.String(metadata={"description": "the deadline's day, YYYY-MM-DD"})
    due = fields.String(metadata={"description": "office close of that day, ISO-8601 with offset"})
    provisional = fields.Boolean()


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in text.split("-"))
        dt.date(year, month, 1)
    except ValueError:
        raise ValidationFailed(f"month must be YYYY-MM, not '{text}'", {"fields": {"month": [text]}}) from None
    return year, month


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"date must be YYYY-MM-DD, not '{text}'", {"fields": {"date": [text]}}) from None


@blp.route("/months/<month>", methods=["GET"], parameters=[MONTH_PARAM])
@rule(AUTHENTICATED)
@blp.arguments(MonthQuery, location="query")
@blp.response(200, DayOut(many=True))
@blp.alt_response(422, schema=schemas.ErrorBody)
def show_month(args: dict[str, Any], month: str) -> list[Any]:
    """Every day of a month (YYYY-MM) for a region: working day or not, provisional, which override."""
    year, mon = _month(month)
    return engine().calendar.month(year, mon, args["region"])


@blp.route("/days/<date>", methods=["PUT"], parameters=[DATE_PARAM])
@rule("admin")
@blp.arguments(DaySet)
@blp.response(200, OverrideOut)
@blp.alt_response(422, schema=schemas.ErrorBody)
def set_day(args: dict[str, Any], date: str) -> dict[str, Any]:
    """Declare a day a holiday or a working day, nationally or for a region (admins)."""
    return engine().set_calendar_day(_day(date), args["kind"], current_principal().username, args["region"],
                                     args["note"], args["source"])


@blp.route("/imports", methods=["POST"])
@rule("admin")
@blp.arguments(ImportRequest)
@blp.response(201, ImportOut)
@blp.alt_response(422, schema=schemas.ErrorBody)
def import_year(args: dict[str, Any]) -> dict[str, Any]:
    """Import a year's State Council arrangement; that year's provisional deadlines are
    recomputed and audited (admins)."""
    return engine().import_calendar(args["content"], args["filename"], current_principal().username,
                                    args["source"])


@blp.route("/add-working-days", methods=["GET"])
@rule(AUTHENTICATED)
@blp.arguments(CountQuery, location="query")
@blp.response(200, CountOut)
@blp.alt_response(422, schema=schemas.ErrorBody)
def add_working_days(args: dict[str, Any]) -> dict[str, Any]:
    """The deadline `n` working days after `start` (office close), and whether it is provisional."""
    try:
        start: dt.date | dt.datetime = (dt.datetime.fromisoformat(args["start"]) if "T" in args["start"]
                                        else dt.date.fromisoformat(args["start"]))
    except ValueError:
        raise ValidationFailed(f"start must be YYYY-MM-DD or an ISO time, not '{args['start']}'",
                               {"fields": {"start": [args["start"]]}}) from None
    due, provisional = engine().add_working_days(start, args["n"], args["region"])
    return {"date": due[:10], "due": due, "provisional": provisional}
