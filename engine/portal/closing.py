"""A complaint or a bad rating is closed, with its outcome, when the complaint process that
handles it ends (W-COMPLAIN, J-FEEDBACK; issue 11: the row stayed `open` for ever).

The portal starts one `complaint_handling` case per complaint (business key `TS-<id>`) and per
bad rating (`CP-<id>`), engine/portal/service.py. When that case ends, the diagram's end event
has set `complaint_outcome` (`referred`: not a social-relief matter, told where to go;
`satisfied`; `closed_after_review`: the leader closed it although the complainant was not
satisfied); the complaint row becomes `handled` with that outcome, the rating followed up.

A complaint case that is cancelled (or ends unsuccessfully, status `error`) closes its row
too, as `closed` with the outcome `cancelled` (or `error`), whatever the case data held
then: the process did not reach an answer, so none of its outcomes applies. The dashboard
and the centre's list count `open` rows only, so a closed one leaves both."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.runtime import ended
from engine.store.models import Instance
from engine.store.portal_models import CaseRating, Complaint

# The process a complaint or a bad rating starts (workflows/feedback/complaint_handling.bpmn).
COMPLAINT_PROCESS = "complaint_handling"
COMPLAINT_PREFIX, RATING_PREFIX = "TS-", "CP-"
UNKNOWN_OUTCOME = "ended"  # a version of the diagram that set no outcome
HANDLED, CLOSED = "handled", "closed"  # a complaint row's end: the process answered it, or not


@ended.register
def close_feedback(session: Session, row: Instance, status: str, data: dict[str, Any], now: dt.datetime) -> None:
    """Close the complaint or rating row the ended complaint case `row` (ended with `status`)
    was started for."""
    key = row.business_key or ""
    if row.process_key != COMPLAINT_PROCESS or not key[3:].isdigit():
        return
    if status == "completed":
        closed, outcome = HANDLED, str(data.get("complaint_outcome") or UNKNOWN_OUTCOME)[:32]
    else:  # cancelled, or ended in error: the process gave no outcome
        closed, outcome = CLOSED, status[:32]
    if key.startswith(COMPLAINT_PREFIX):
        session.execute(sa.update(Complaint).where(Complaint.id == int(key[3:]), Complaint.status == "open")
                        .values(status=closed, outcome=outcome, closed_at=now))
    elif key.startswith(RATING_PREFIX):
        session.execute(sa.update(CaseRating).where(CaseRating.id == int(key[3:]), CaseRating.followed_up_at.is_(None))
                        .values(follow_up_outcome=outcome, followed_up_at=now))
