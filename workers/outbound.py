"""Signed JSON POSTs to outside systems, one place for timeouts and error reporting."""

from __future__ import annotations

import json
from typing import Any

import requests

from engine.auth.signatures import signed_headers
from workers.errors import HandlerFailed

TIMEOUT = (5, 30)  # connect, read


def post_json(url: str, body: dict[str, Any], idempotency_key: str, sender: str | None = None,
              secret: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """POST `body`; the idempotency key travels in a header so that the outside system
    can drop a second delivery. Signed when `secret` is given. Returns the JSON answer
    (or {}); a network error or non-2xx answer raises HandlerFailed (retried)."""
    raw = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
    sent = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key, **(headers or {})}
    if secret:
        sent.update(signed_headers(sender or "relief", secret, raw))
    try:
        r = requests.post(url, data=raw, headers=sent, timeout=TIMEOUT)
    except requests.RequestException as err:
        raise HandlerFailed(f"{url} did not answer: {err}", {"url": url}) from err
    if not 200 <= r.status_code < 300:
        raise HandlerFailed(f"{url} answered {r.status_code}", {"url": url, "status": r.status_code,
                                                                 "body": r.text[:500]})
    try:
        return r.json() if r.content else {}
    except ValueError:
        return {}
