"""SMS adapters for applicant notices. The default is the outbox table (shown in the
API at GET /api/v1/outbox, sent by whoever operates the SMS channel); with
RELIEF_SMS_GATEWAY_URL set, each text is also POSTed to that HTTP gateway
(optional bearer RELIEF_SMS_GATEWAY_TOKEN) and marked sent when it accepts it."""

from __future__ import annotations

import os
from typing import Any

from workers.outbound import post_json


def gateway_url() -> str | None:
    return os.environ.get("RELIEF_SMS_GATEWAY_URL") or None


def send(to: str, text: str, idempotency_key: str) -> dict[str, Any]:
    """Hand one text to the HTTP gateway; HandlerFailed (retried) when it refuses."""
    url = gateway_url()
    assert url, "send() needs RELIEF_SMS_GATEWAY_URL"
    token = os.environ.get("RELIEF_SMS_GATEWAY_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return post_json(url, {"to": to, "text": text, "idempotency_key": idempotency_key}, idempotency_key,
                     headers=headers)
