"""HMAC-SHA256 signatures between us and outside systems (12345 platform, department
systems): over the timestamp and the exact body, valid for five minutes, each one once.

Headers: `X-Relief-Sender` (who signs), `X-Relief-Timestamp` (Unix seconds),
`X-Relief-Signature` (hex of HMAC-SHA256(secret, f"{timestamp}.{body}"))."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import Unauthorized
from engine.store.worker_models import SeenSignature

WINDOW_SECONDS = 300
SENDER, TIMESTAMP, SIGNATURE = "X-Relief-Sender", "X-Relief-Timestamp", "X-Relief-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> tuple[str, str]:
    """(timestamp, signature) for `body`; the timestamp is now unless given."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return ts, mac


def signed_headers(sender: str, secret: str, body: bytes) -> dict[str, str]:
    """Headers for a signed JSON POST from `sender`."""
    ts, mac = sign(secret, body)
    return {SENDER: sender, TIMESTAMP: ts, SIGNATURE: mac, "Content-Type": "application/json"}


def verify(secret: str, body: bytes, timestamp: str, signature: str, now: float | None = None) -> None:
    """Unauthorized unless `signature` signs `body` at `timestamp`, within the window.

    The window is checked against the wall clock: it protects the transport, and the
    sender's clock is a real one whatever the engine's (test or demo) clock says."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError) as err:
        raise Unauthorized(f"{TIMESTAMP} must be Unix seconds", {"header": TIMESTAMP}) from err
    if abs((time.time() if now is None else now) - ts) > WINDOW_SECONDS:
        raise Unauthorized(f"the signature is older than {WINDOW_SECONDS // 60} minutes (or from the future)",
                           {"header": TIMESTAMP})
    expected = sign(secret, body, ts)[1]
    if not hmac.compare_digest(expected, (signature or "").lower()):
        raise Unauthorized("the signature does not match the body and timestamp", {"header": SIGNATURE})


def remember(session: Session, sender: str, signature: str, now: dt.datetime) -> None:
    """Record a verified signature; the same one again is a replay (Unauthorized).
    Signatures older than the window can no longer verify, so they are pruned here."""
    cutoff = now - dt.timedelta(seconds=2 * WINDOW_SECONDS)
    session.execute(sa.delete(SeenSignature).where(SeenSignature.seen_at < cutoff))
    try:
        with session.begin_nested():
            session.add(SeenSignature(signature=signature.lower()[:64], sender=sender[:80], seen_at=now))
    except IntegrityError as err:
        raise Unauthorized("this signed request was already received (replay)", {"header": SIGNATURE}) from err
