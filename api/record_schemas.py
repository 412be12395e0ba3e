"""marshmallow schemas of the case records a worker keeps for the job it holds, and of
the local data platform it reads (api/routes/job_records.py). Lengths follow the
columns (engine/store/records.py), so that bad input is refused naming its field
before anything is stored."""

from __future__ import annotations

from marshmallow import fields, validate

from api.inputs import ApiSchema as Schema  # every schema gets the input rules of api/inputs.py

ID_NUMBER = validate.Regexp(r"^\d{17}[\dXx]$", error="18 characters: 17 digits and a digit or X")


class WorkerArgs(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(1, 80),
                              metadata={"description": "the worker id the job was locked with"})


class NotificationFields(Schema):
    """A notice to the applicant (J-T2F): an SMS in the outbox, or a letter without a phone."""

    channel = fields.String(required=True, validate=validate.OneOf(["sms", "letter"]))
    to = fields.String(load_default="", validate=validate.Length(0, 32), metadata={"description": "the phone"})
    template = fields.String(required=True, validate=validate.Length(1, 60))
    message = fields.String(required=True, validate=validate.Length(1, 2000))


class LedgerFields(Schema):
    """An electronic ledger line (W-LEDGER), dated the day it is kept (Beijing time)."""

    stage = fields.String(required=True, validate=validate.Length(1, 40))
    summary = fields.String(load_default="", validate=validate.Length(0, 4000))


class DispatchFields(Schema):
    """A dispatch to a department (J-DISPATCH) or a referral to an organisation (J-REFER)."""

    kind = fields.String(required=True, validate=validate.OneOf(["department", "referral"]))
    target = fields.String(required=True, validate=validate.Length(1, 80))
    mode = fields.String(required=True, validate=validate.OneOf(["worklist", "webhook"]))
    payload = fields.Dict(load_default=dict)


# The body of POST /jobs/{job_id}/records/{kind}: the worker, then the record's fields (the
# fields alone are what a completion's `record.fields` holds, api/worker_schemas.py).
class NotificationRecordIn(WorkerArgs, NotificationFields):
    """A notice to the applicant (J-T2F): an SMS in the outbox, or a letter without a phone."""


class LedgerRecordIn(WorkerArgs, LedgerFields):
    """An electronic ledger line (W-LEDGER), dated the day it is kept (Beijing time)."""


class DispatchRecordIn(WorkerArgs, DispatchFields):
    """A dispatch to a department (J-DISPATCH) or a referral to an organisation (J-REFER)."""


FIELDS_OF_KIND: dict[str, type[Schema]] = {"notification": NotificationFields, "ledger": LedgerFields,
                                           "dispatch": DispatchFields}


class HotlineStatusIn(WorkerArgs):
    status = fields.String(required=True, validate=validate.Length(1, 60),
                           metadata={"description": "the notice's template, e.g. approved"})
    message = fields.String(load_default="", validate=validate.Length(0, 2000))


class RecordOut(Schema):
    record = fields.Dict(metadata={"description": "the record's columns (dates as ISO 8601)"})
    created = fields.Boolean(metadata={"description": "false: an earlier delivery of the job kept it"})


class HotlineStatusOut(Schema):
    job_id = fields.String(allow_none=True, metadata={"description": "the status job; null: no 12345 ticket"})
    created = fields.Boolean(metadata={"description": "false: queued before, or nothing to push"})


class HouseholdQuery(WorkerArgs):
    id_number = fields.String(required=True, validate=ID_NUMBER)


class MemberOut(Schema):
    id_number = fields.String()
    name = fields.String()
    relation = fields.String()
    income_monthly = fields.Float()
    assets = fields.Float()
    medical_insurance = fields.String(allow_none=True)
    disability = fields.String(allow_none=True)


class HouseholdOut(Schema):
    household_id = fields.String()
    members = fields.List(fields.Nested(MemberOut))


class GrantsQuery(WorkerArgs):
    id_number = fields.List(fields.String(validate=ID_NUMBER), required=True, validate=validate.Length(1, 50))
    aid_type = fields.List(fields.String(validate=validate.Length(1, 40)), required=True,
                           validate=validate.Length(1, 20))


class GrantOut(Schema):
    id_number = fields.String()
    aid_type = fields.String()
    since = fields.Date()
    until = fields.Date(allow_none=True)
    source = fields.String()
