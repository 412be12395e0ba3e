"""Status updates pushed back to the 12345 platform (J-CH-12345), signed with the
platform's shared secret; a failed push is retried like any job."""

from __future__ import annotations

from typing import Any

from workers.context import HandlerContext, JobView
from workers.departments import hotline_secret
from workers.outbound import post_json


def push_status(job: JobView, ctx: HandlerContext) -> dict[str, Any]:
    """POST {ticket_id, status, message} to the ticket's callback URL."""
    secret = hotline_secret()
    if not secret:
        raise ValueError("RELIEF_HOTLINE_SECRET is not set: status updates to 12345 cannot be signed")
    body = {"ticket_id": job.params["ticket_id"], "status": job.params["status"],
            "message": job.params.get("message", ""), "business_key": job.business_key,
            "idempotency_key": job.idempotency_key, "at": ctx.now.isoformat()}
    answer = post_json(job.params["callback_url"], body, job.idempotency_key, sender="relief", secret=secret)
    return {"pushed": True, "answer": answer}
