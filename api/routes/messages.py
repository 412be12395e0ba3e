"""POST /messages: deliver a message to the case waiting for it, if the waiting element's
rule names the sender (engine/auth/senders.py): e.g. only the department the case was
dispatched to may answer `department_result`."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import SIGNED, current_principal, rule
from engine.store.models import Instance

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="Messages to waiting cases")


@blp.route("", methods=["POST"])
@rule("clerk", "dispatcher", "caseworker", SIGNED)
@blp.arguments(schemas.MessageRequest)
@blp.response(202, schemas.InstanceOut)
@blp.alt_response(403, schema=schemas.ErrorBody, description="the diagram does not let you send this message")
@blp.alt_response(404, schema=schemas.ErrorBody)
@blp.alt_response(409, schema=schemas.ErrorBody)
def correlate(args: dict[str, Any]) -> Instance:
    """Correlate by business key; 409 when no case waits for that message, 403 when the
    waiting element's `allowedSenders` does not name you. Department systems sign the
    request (X-Relief-Sender: dept:<code>) instead of a bearer token."""
    return engine().correlate(args["name"], args["business_key"], args["payload"], current_principal())
