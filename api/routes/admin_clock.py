"""The engine clock for admins: read it, and in test or demo mode move it forward (X-TIMERS)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import schemas
from api.routes.common import engine
from api.security import rule
from engine.clock import AdjustableClock, parse_duration

blp = Blueprint("admin_clock", __name__, url_prefix="/api/v1/admin/clock", description="Engine clock")


class ClockOut(Schema):
    now = fields.DateTime()
    adjustable = fields.Boolean(metadata={"description": "true in test and demo mode only"})


class AdvanceRequest(Schema):
    by = fields.String(required=True, validate=validate.Length(1, 40),
                       metadata={"description": "3d, 2h30m or an ISO duration such as P1DT2H"})


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
