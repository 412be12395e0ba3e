"""Case records the workers keep (SMS outbox, electronic ledger, dispatches, status
updates queued for the 12345 platform) and the local data platform they read (T-ID,
T-DEDUP). One copy of this code serves both paths: the in-process runner of `relief
serve` and the record endpoints a worker process calls with its worker token.

Every record belongs to the job that keeps it: the job gives its case, its business
key and its idempotency key, so a second delivery of the same job finds the first
one's record instead of writing another (at-least-once delivery)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.calendar import SHANGHAI
from engine.crypto.columns import session_keyring
from engine.crypto.lookup import lookup_hashes
from engine.errors import Forbidden, ValidationFailed
from engine.store.models import Job
from engine.store.records import PRIVATE_TEMPLATES, AidGrant, Dispatch, HouseholdMember, LedgerEntry, Notification
from engine.store.worker_models import HotlineTicket

HOTLINE_STATUS_TOPIC = "hotline.status"

# Which job topics may keep which records and read which data. A worker token is limited
# to its topics; this limits each topic to what its handler needs, so that a ledger
# worker cannot read the household registry (personal data, J-SEC) or write notices.
ALLOWED_TOPICS: dict[str, tuple[str, ...]] = {
    "notification": ("applicant.notify",),
    "ledger": ("ledger.record",),
    "dispatch": ("department.dispatch", "referral.dispatch"),
    "hotline_status": ("applicant.notify",),
    "registry": ("household.fetch", "aid.dedup"),
}
RecordRow = Notification | LedgerEntry | Dispatch
MODELS: dict[str, type[RecordRow]] = {"notification": Notification, "ledger": LedgerEntry, "dispatch": Dispatch}


def check_topic(job: Job, purpose: str) -> None:
    """Forbidden unless a job of this topic may keep (or read) `purpose`."""
    allowed = ALLOWED_TOPICS.get(purpose, ())
    if job.topic not in allowed:
        raise Forbidden(f"a job of topic '{job.topic}' may not use {purpose} records",
                        {"topic": job.topic, "record": purpose, "allowed_topics": list(allowed)})


def case_of(job: Job) -> str:
    """The case a job works for (a detached job has no diagram element, only its case)."""
    return job.instance_id or job.case_id or ""


def _required(fields: dict[str, Any], *names: str) -> None:
    # The API checks its input with marshmallow first; this guards the in-process path.
    if missing := [n for n in names if fields.get(n) in (None, "")]:
        raise ValidationFailed(f"the record needs {', '.join(missing)}", {"fields": {n: ["required"] for n in missing}})


def _build(kind: str, job: Job, fields: dict[str, Any], now: dt.datetime) -> RecordRow:
    common = {"instance_id": case_of(job), "idempotency_key": job.idempotency_key}
    if kind == "notification":
        _required(fields, "channel", "template", "message")
        if fields["template"] in PRIVATE_TEMPLATES:
            # Written by the engine alone, with the job that delivers it: a worker finds it by
            # the job's key, it never writes one (nor a hidden notice of its own choosing).
            raise ValidationFailed(f"a '{fields['template']}' notice is written by the engine only",
                                   {"fields": {"template": ["written by the engine only"]}})
        return Notification(**common, channel=fields["channel"], to=fields.get("to") or "",
                            template=fields["template"], message=fields["message"], status="queued", created_at=now)
    if kind == "ledger":
        _required(fields, "stage")
        # Dated the day it is made, Beijing time, by the server's clock. The same-day limit
        # comes from the job the engine made, not from the worker (W-LEDGER).
        due_by = _due_by(job)
        return LedgerEntry(**common, business_key=(job.variables or {}).get("business_key"), stage=fields["stage"],
                           summary=fields.get("summary") or "", recorded_on=now.astimezone(SHANGHAI).date(),
                           recorded_at=now, due_by=due_by, late=due_by is not None and now > due_by)
    _required(fields, "kind", "target", "mode")
    return Dispatch(**common, kind=fields["kind"], target=fields["target"], mode=fields["mode"],
                    payload=fields.get("payload") or {}, created_at=now)


def _due_by(job: Job) -> dt.datetime | None:
    value = ((job.variables or {}).get("params") or {}).get("due_by")
    if not value:
        return None
    try:
        due = dt.datetime.fromisoformat(str(value))
    except ValueError as err:
        raise ValidationFailed(f"the ledger task's due_by is not an ISO date-time: {value!r}",
                               {"element": job.bpmn_id, "fields": {"due_by": [str(value)]}}) from err
    return (due if due.tzinfo else due.replace(tzinfo=SHANGHAI)).astimezone(dt.UTC)


def as_dict(row: RecordRow) -> dict[str, Any]:
    """A record as JSON-ready values (what both the API and the in-process path return)."""
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        out[column.key] = value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
    return out


# Built once per kind: a record is looked up and written on every job that keeps one (several
# a case); building the statements each time, and the ORM's unit of work for one new row,
# cost more than running them (profiled).
_FIND = {kind: sa.select(model).where(model.idempotency_key == sa.bindparam("b_key")) for kind, model in MODELS.items()}
_INSERT = {kind: model.__table__.insert() for kind, model in MODELS.items()}


def find(session: Session, kind: str, key: str) -> RecordRow | None:
    """The record of `kind` an earlier delivery of the job with idempotency `key` kept."""
    return session.scalar(_FIND[kind], {"b_key": key})


def keep(session: Session, job: Job, kind: str, fields: dict[str, Any], now: dt.datetime) -> tuple[RecordRow, bool]:
    """The job's record of `kind`, created unless an earlier delivery made it: (record, created)."""
    if kind not in MODELS:
        raise ValidationFailed(f"unknown record kind '{kind}'", {"fields": {"kind": [f"one of {', '.join(MODELS)}"]}})
    check_topic(job, kind)
    existing = find(session, kind, job.idempotency_key)
    if existing is not None:
        return existing, False
    row = _build(kind, job, fields, now)  # every column given (no defaults left to a flush)
    columns = [c.key for c in row.__table__.columns if c.key != "id"]
    # A concurrent delivery fails here (unique key); the caller reads its record.
    result = session.execute(_INSERT[kind], {c: getattr(row, c) for c in columns})
    row.id = result.inserted_primary_key[0]  # the row as written, for the caller (not in the session)
    return row, True


@dataclass(frozen=True)
class CompletionRecord:
    """The record a job's completion keeps in its own transaction (one commit for both, where
    keeping it first took one of its own): `kind` and `fields` as for `keep`; `into` names
    the result keys that get the kept record's columns (e.g. {"entry_id": "id"}), so that the
    result the diagram sees, and the audit event, carry the record as it was written.

    For a handler whose record nothing outside needs before the completion (no SMS gateway,
    no department system to hand the record's id to): what it keeps and what it reports
    then commit together, or neither does."""

    kind: str
    fields: dict[str, Any]
    into: dict[str, str]


def keep_into(session: Session, job: Job, record: CompletionRecord, result: dict[str, Any],
              now: dt.datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep `record` for `job` (found, if an earlier delivery kept it) and return (the result
    with the record's columns under the keys `record.into` names, the record as JSON values)."""
    model = MODELS.get(record.kind)
    if model is None:
        raise ValidationFailed(f"unknown record kind '{record.kind}'",
                               {"fields": {"record.kind": [f"one of {', '.join(MODELS)}"]}})
    columns = set(model.__table__.columns.keys())
    if unknown := sorted(c for c in record.into.values() if c not in columns):
        raise ValidationFailed(f"a {record.kind} record has no column {', '.join(unknown)}",
                               {"fields": {"record.into": [f"not a column: {c}" for c in unknown]}})
    row, _created = keep(session, job, record.kind, record.fields, now)
    kept = as_dict(row)
    return {**result, **{key: kept[column] for key, column in record.into.items()}}, kept


def notification_sent(session: Session, job: Job) -> Notification:
    """Mark the job's notice sent (the SMS gateway accepted it)."""
    check_topic(job, "notification")
    row = find(session, "notification", job.idempotency_key)
    if row is None:
        raise ValidationFailed("this job has kept no notification yet", {"fields": {"notification": ["missing"]}})
    row.status = "sent"
    return row  # type: ignore[return-value]


# The element a detached job names (its `bpmn_id`, and the `element` its audit events record):
# none of the diagram's, since no element waits on it.
DETACHED_ELEMENT = "-"


def detached_job(case_id: str, topic: str, params: dict[str, Any], key: str, business_key: str | None,
                 now: dt.datetime, retries: int = 5) -> Job:
    """A detached job (work no diagram element waits on), identified by `key`: its task id
    is derived from the key, so the same key twice is one job (a unique column)."""
    return Job(instance_id=None, case_id=case_id, task_id=detached_task_id(key), bpmn_id=DETACHED_ELEMENT, topic=topic,
               detached=True, state="pending", retries=retries, run_after=now, idempotency_key=key[:80],
               created_at=now, attempts=0, variables={"params": params, "case": {}, "business_key": business_key})


def detached_task_id(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"relief-job:{key}"))


def queue_hotline_status(session: Session, job: Job, status: str, message: str,
                         now: dt.datetime) -> tuple[Job | None, bool]:
    """J-CH-12345: a notice of a case that came from the 12345 platform is pushed there too,
    through a detached job of its own (retried on its own), once per notifying job.
    (None, False) when the case has no ticket with a callback URL."""
    check_topic(job, "hotline_status")
    ticket = session.scalar(sa.select(HotlineTicket).where(HotlineTicket.instance_id == case_of(job))
                            .order_by(HotlineTicket.received_at).limit(1))
    if ticket is None or not ticket.callback_url:
        return None, False
    key = f"12345:{job.idempotency_key}"
    existing = session.scalar(sa.select(Job).where(Job.task_id == detached_task_id(key)))
    if existing is not None:
        return existing, False
    pushed = detached_job(case_of(job), HOTLINE_STATUS_TOPIC,
                          {"ticket_id": ticket.ticket_id, "callback_url": ticket.callback_url, "status": status,
                           "message": message}, key, (job.variables or {}).get("business_key"), now)
    session.add(pushed)
    session.flush()
    return pushed, True


def household(session: Session, id_number: str) -> tuple[str, list[dict[str, Any]]] | None:
    """T-ID: (household id, its members) of the registry member with `id_number`, or None.
    Found by the number's look-up hash (under any configured key: rows not rotated yet)."""
    hashes = lookup_hashes(session_keyring(session), "id_number", id_number)
    me = session.scalar(sa.select(HouseholdMember).where(HouseholdMember.id_hash.in_(hashes)).limit(1))
    if me is None:
        return None
    rows = session.scalars(sa.select(HouseholdMember).where(HouseholdMember.household_id == me.household_id)).all()
    # Sorted here: the numbers are sealed, the database cannot order by them.
    return me.household_id, sorted(({"id_number": m.id_number, "name": m.name, "relation": m.relation,
                                     "income_monthly": m.income_monthly, "assets": m.assets,
                                     "medical_insurance": m.medical_insurance, "disability": m.disability}
                                    for m in rows), key=lambda m: m["id_number"])


def grants(session: Session, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]:
    """T-DEDUP: aid of `aid_types` already granted to any of `id_numbers`."""
    keyring = session_keyring(session)
    hashes = [h for n in id_numbers for h in lookup_hashes(keyring, "id_number", n)]
    rows = session.scalars(sa.select(AidGrant).where(AidGrant.id_hash.in_(hashes),
                                                     AidGrant.aid_type.in_(aid_types)).order_by(AidGrant.id)).all()
    return [{"id_number": r.id_number, "aid_type": r.aid_type, "since": r.since, "until": r.until,
             "source": r.source} for r in rows]


def put_household_member(session: Session, fields: dict[str, Any]) -> HouseholdMember:
    """Add a registry member, or replace the one with the same ID number (whatever key its
    look-up hash was made with; the new row's hash is filled in at flush)."""
    session.execute(sa.delete(HouseholdMember).where(
        HouseholdMember.id_hash.in_(lookup_hashes(session_keyring(session), "id_number", fields["id_number"]))))
    row = HouseholdMember(**fields)
    session.add(row)
    return row
