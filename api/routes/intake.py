"""Inbound channel of the 12345 government hotline platform (J-CH-12345).

Requests are signed with HMAC-SHA256 over the timestamp and the body (headers
X-Relief-Sender: 12345, X-Relief-Timestamp, X-Relief-Signature; five-minute window, each
signature once). One ticket is one case: the same ticket again answers 200 with that
case, a new one 201."""

from __future__ import annotations

import os
from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api import worker_schemas as ws
from api.routes.common import engine
from api.security import SIGNED, current_principal, rule
from engine.errors import Unauthorized

blp = Blueprint("intake", __name__, url_prefix="/api/v1/intake", description="Inbound channels (12345)")
SENDER = "12345"


def hotline_definition() -> str:
    """The process a 12345 ticket starts (RELIEF_HOTLINE_DEFINITION, default Jiangyin)."""
    return os.environ.get("RELIEF_HOTLINE_DEFINITION") or "jiangyin_one_door"


@blp.route("/hotline", methods=["POST"])
@rule(SIGNED)
@blp.arguments(ws.HotlineTicketIn)
@blp.response(201, ws.HotlineReceipt)
@blp.alt_response(200, schema=ws.HotlineReceipt, description="the ticket was received before: its case")
@blp.alt_response(401, schema=schemas.ErrorBody, description="missing, forged, expired or replayed signature")
@blp.alt_response(404, schema=schemas.ErrorBody, description="the process RELIEF_HOTLINE_DEFINITION is not deployed")
@blp.alt_response(422, schema=schemas.ErrorBody, description="the ticket does not fill the process's start form")
def hotline(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Register a 12345 ticket as a case of the hotline channel."""
    who = current_principal()
    if who.username != SENDER or not who.extra.get("signed"):
        raise Unauthorized("the 12345 platform signs its requests (X-Relief-Sender: 12345)")
    data = {k: v for k, v in args.items() if k not in ("ticket_id", "callback_url", "region") and v is not None}
    data.update(channel="hotline", hotline_ticket=args["ticket_id"])
    instance, created = engine().hotline_intake(args["ticket_id"], hotline_definition(), data,
                                                args.get("callback_url"), SENDER, region=args.get("region"))
    receipt = {"ticket_id": args["ticket_id"], "instance_id": instance.id, "business_key": instance.business_key,
               "created": created}
    return receipt, 201 if created else 200
