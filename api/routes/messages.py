"""POST /messages: deliver a message to the case waiting for it."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import SIGNED, check_department_answer, current_principal, rule
from engine.store.models import Instance

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="Messages to waiting cases")


@blp.route("", methods=["POST"])
@rule("clerk", "dispatcher", "caseworker", "system", SIGNED)
@blp.arguments(schemas.MessageRequest)
@blp.response(202, schemas.InstanceOut)
@blp.alt_response(404, schema=schemas.ErrorBody)
@blp.alt_response(409, schema=schemas.ErrorBody)
def correlate(args: dict[str, Any]) -> Instance:
    """Correlate by business key; 409 when no case waits for that message. Department
    systems sign the request (X-Relief-Sender: dept:<code>) instead of a bearer token."""
    department = check_department_answer(args["business_key"])
    # A department's answer goes to that department's own branch of the case.
    scope = {"department": department} if department else None
    return engine().correlate(args["name"], args["business_key"], args["payload"], current_principal().username,
                              scope=scope)
