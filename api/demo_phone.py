"""A stand-in for the SMS operator in demo mode (`relief demo`, RELIEF_DEMO_PHONE).

The applicant's texts (application number, progress, the portal's sign-in code) leave the
engine only through the SMS gateway (workers/sms.py); staff can never read a sign-in code.
So that someone trying the demo can still sign in as an applicant, `relief demo` points
RELIEF_SMS_GATEWAY_URL at this gateway inside the app: it keeps what it is given in
`var/demo_sms.jsonl` (one JSON object a line), and the page `/demo/phone` (web/views/
demo_phone.py) shows the texts one phone number received. Never on in production mode
(api/settings.py refuses it)."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from api.security import PUBLIC, rule
from engine.errors import ValidationFailed

INBOX_FILE = "demo_sms.jsonl"
PHONE = re.compile(r"^1\d{10}$")
MAX_TEXT = 1000
_lock = threading.Lock()  # waitress serves with threads; one append at a time

blp = Blueprint("demo_phone", __name__)


def inbox_path(var_dir: Path) -> Path:
    """Where the demo gateway keeps the texts it was given."""
    return var_dir / INBOX_FILE


def received(var_dir: Path, phone: str) -> list[dict[str, Any]]:
    """The texts sent to `phone`, newest first."""
    path = inbox_path(var_dir)
    if not path.exists():
        return []
    texts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted((t for t in texts if t.get("to") == phone), key=lambda t: t["received_at"], reverse=True)


def _accept(var_dir: Path, to: str, text: str, key: str) -> bool:
    """Keep one text; False when its idempotency key was kept before (a retried delivery)."""
    path = inbox_path(var_dir)
    with _lock:
        if path.exists() and any(json.loads(line).get("idempotency_key") == key
                                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()):
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"to": to, "text": text, "idempotency_key": key,
                 "received_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return True


@blp.post("/demo/sms/gateway")
@rule(PUBLIC)
def gateway() -> ResponseReturnValue:
    """The HTTP SMS gateway's contract (workers/sms.py): {to, text, idempotency_key}."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", {"body": ["a JSON object"]})
    faults: dict[str, list[str]] = {}
    to, text, key = body.get("to"), body.get("text"), body.get("idempotency_key")
    if not isinstance(to, str) or not PHONE.match(to):
        faults["to"] = ["a mainland mobile number of 11 digits"]
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
        faults["text"] = [f"a text of 1 to {MAX_TEXT} characters"]
    if not isinstance(key, str) or not key or len(key) > 200:
        faults["idempotency_key"] = ["a key of 1 to 200 characters"]
    if faults:
        raise ValidationFailed("the text was not accepted", faults)
    assert isinstance(to, str) and isinstance(text, str) and isinstance(key, str)
    fresh = _accept(current_app.extensions["relief_settings"].var_dir, to, text, key)
    return jsonify({"accepted": True, "duplicate": not fresh})
