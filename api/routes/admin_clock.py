"""The engine clock for admins: read it, and in test or demo mode move it forward (X-TIMERS)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields, validate

from api import schemas
from api.inputs import ApiSchema as Schema  # every schema gets the input rules of api/inputs.py
from api.routes.common import engine
from api.security import rule
from engine.clock import MAX_OFFSET, AdjustableClock, parse_duration

blp = Blueprint("admin_clock", __name__, url_prefix="/api/v1/admin/clock", description="Engine clock")


class ClockOut(Schema):
    now = fields.DateTime()
    adjustable = fields.Boolean(metadata={"description": "true in test and demo mode only"})


# The shapes parse_duration reads, so that the document states them too.
DURATION = r"^\s*([Pp]([0-9]+[Dd])?([Tt]([0-9]+[Hh])?([0-9]+[Mm])?([0-9]+[Ss])?)?|(\s*[0-9]+\s*[DHMSdhms])+)\s*$"
DURATION_RULE = "a duration such as 3d, 2h30m or P1DT2H"


class AdvanceRequest(Schema):
    by = fields.String(required=True, validate=[validate.Length(1, 40), validate.Regexp(DURATION, error=DURATION_RULE)],
                       metadata={"description": "3d, 2h30m or an ISO duration such as P1DT2H; the clock moves at "
                                                f"most {MAX_OFFSET.days} days from the wall clock in all"})


@blp.route("", methods=["GET"])
@rule("admin")
@blp.response(200, ClockOut)
def show() -> dict[str, Any]:
    """The engine's current time."""
    clock = engine().clock
    return {"now": clock.now(), "adjustable": isinstance(clock, AdjustableClock)}


@blp.route("/advance", methods=["POST"])
@rule("admin")
@blp.arguments(AdvanceRequest)
@blp.response(200, ClockOut)
@blp.alt_response(403, schema=schemas.ErrorBody)
@blp.alt_response(422, schema=schemas.ErrorBody)
def advance(args: dict[str, Any]) -> dict[str, Any]:
    """Move the clock forward so a person can watch deadlines expire; 403 in production."""
    return {"now": engine().advance_clock(parse_duration(args["by"])), "adjustable": True}
