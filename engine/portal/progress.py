"""Progress look-up by application number plus a second factor (J-PORTAL): the last four
characters of the applicant's ID number or of their phone. One refusal for a wrong number
and for a wrong second factor, so that nobody learns which numbers exist."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

SECRET_FIELDS = ("applicant_id_number", "applicant_phone")
SECRET_LENGTH = 4


@dataclass(frozen=True)
class Stage:
    """A step of the case as the applicant sees it: no holder, no notes, no data."""

    name: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    due_at: dt.datetime | None
    state: str  # open|completed|cancelled


@dataclass(frozen=True)
class Progress:
    instance_id: str  # internal: the page keeps it in the session for the rating, never shows it
    business_key: str
    process_name: str
    status: str  # running|completed|cancelled|error
    started_at: dt.datetime
    ended_at: dt.datetime | None
    stages: list[Stage]
    rated: bool


def normalise_secret(secret: str) -> str:
    """The second factor as compared: trimmed, upper case (an ID number may end in X)."""
    return secret.strip().upper()


def matches(data: dict[str, object], secret: str) -> bool:
    """Whether `secret` is the last four characters of the ID number or of the phone in the
    case data; every candidate is compared in constant time, whatever matched first."""
    wanted = normalise_secret(secret)
    if len(wanted) != SECRET_LENGTH:
        return False
    found = False
    for name in SECRET_FIELDS:
        value = data.get(name)
        tail = str(value).strip().upper()[-SECRET_LENGTH:] if isinstance(value, str) and len(value) >= 4 else ""
        found |= hmac.compare_digest(tail.encode() or b"\0" * SECRET_LENGTH, wanted.encode())
    return found
