"""The working-day calendar in force when a case's deadlines were computed (X-AUDIT).

Deadlines count working days over the State Council arrangement and the database's
overrides, which change (a new holiday, a county's make-up day, next year imported).
Re-executing a case with today's calendar would move its old deadlines. So every command
that consulted the calendar records, beside its audit event, the SHA-256 of the calendar's
canonical JSON, and the calendar itself is stored once under that digest. Re-execution of
that event installs the recorded calendar; a stored copy whose content no longer hashes to
its digest (or is gone) is named as the step's "calendar" field."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.calendar.active import _active
from engine.calendar.working_days import WorkingCalendar
from engine.store.models import AuditCalendar, AuditEventCalendar

# digest per WorkingCalendar object (immutable: one digest for its life), by id; the object
# is kept with its digest so that an id is never reused for another calendar.
_DIGESTS: dict[int, tuple[WorkingCalendar, str, dict[str, Any]]] = {}
_CALENDARS = AuditCalendar.__table__
_STORED = sa.select(sa.literal(1)).where(_CALENDARS.c.digest == sa.bindparam("b_digest"))
_USED = AuditEventCalendar.__table__.insert()


def digest_of(content: dict[str, Any]) -> str:
    """SHA-256 of the calendar's canonical JSON."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _described(calendar: WorkingCalendar) -> tuple[str, dict[str, Any]]:
    known = _DIGESTS.get(id(calendar))
    if known is None or known[0] is not calendar:
        content = calendar.snapshot()
        if len(_DIGESTS) > 64:  # old calendars (replaced after each change) need not stay alive
            _DIGESTS.clear()
        known = _DIGESTS[id(calendar)] = (calendar, digest_of(content), content)
    return known[1], known[2]


def record_used(session: Session, instance_id: str, seq: int, now: dt.datetime) -> None:
    """If the running command consulted the working-day calendar, record which one for
    event (instance_id, seq), storing the calendar the first time it is seen."""
    activation = _active.get()
    if activation is None or activation.calendar is None:
        return  # no working-day function ran: nothing to record
    digest, content = _described(activation.calendar)
    # Core statements built once: on nearly every command the calendar is stored already, and
    # the ORM's get and unit of work cost several times the two statements (profiled).
    if session.execute(_STORED, {"b_digest": digest}).first() is None:
        try:
            with session.begin_nested():  # another process may store the same calendar at once
                session.add(AuditCalendar(digest=digest, content=content, created_at=now))
        except IntegrityError:
            pass
    session.execute(_USED, {"instance_id": instance_id, "seq": seq, "digest": digest})


class RecordedCalendars:
    """The calendars recorded for one case's events, checked against their digests."""

    def __init__(self, session: Session, instance_id: str) -> None:
        self.by_seq = dict(session.execute(sa.select(AuditEventCalendar.seq, AuditEventCalendar.digest).where(
            AuditEventCalendar.instance_id == instance_id)).all())
        digests = set(self.by_seq.values())
        self.contents = dict(session.execute(sa.select(AuditCalendar.digest, AuditCalendar.content).where(
            AuditCalendar.digest.in_(digests))).all()) if digests else {}
        self._built: dict[str, WorkingCalendar] = {}

    def for_event(self, seq: int) -> tuple[str | None, WorkingCalendar | None, str | None]:
        """(recorded digest, the calendar, problem): (None, None, None) when the event
        recorded none (it used no working-day function, or predates recording)."""
        digest = self.by_seq.get(seq)
        if digest is None:
            return None, None, None
        content = self.contents.get(digest)
        if content is None:
            return digest, None, "absent"
        actual = digest_of(content)
        if actual != digest:
            return digest, None, actual
        if digest not in self._built:
            self._built[digest] = WorkingCalendar.from_snapshot(content)
        return digest, self._built[digest], None


class Fixed:
    """A calendar source that answers with one recorded calendar (`using(Fixed(cal))`)."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar

    def current(self) -> WorkingCalendar:
        return self.calendar
