"""marshmallow schemas of the worker protocol, incidents, 12345 intake and outbox."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api import record_schemas as rs
from api.inputs import ApiSchema as Schema  # every schema gets the input rules of api/inputs.py
from engine.auth.scope import REGION_PATTERN
from engine.forms.validators import mask_phone

MAX_LOCK_SECONDS = 24 * 3600


class TopicLock(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    lock_seconds = fields.Integer(load_default=300, validate=validate.Range(1, MAX_LOCK_SECONDS))


class FetchRequest(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(1, 80))
    topics = fields.List(fields.Nested(TopicLock), required=True, validate=validate.Length(1, 50))
    max_jobs = fields.Integer(load_default=10, validate=validate.Range(1, 100))
    wait_seconds = fields.Float(load_default=0, validate=validate.Range(0, 60),
                                metadata={"description": "long poll: wait up to this long for a job"})


class JobOut(Schema):
    id = fields.String()
    topic = fields.String()
    instance_id = fields.String(allow_none=True)
    case_id = fields.String(allow_none=True)
    bpmn_id = fields.String()
    variables = fields.Dict(metadata={"description": "{params, case, business_key}"})
    idempotency_key = fields.String(metadata={"description": "pass it on to the outside system"})
    state = fields.String()
    retries = fields.Integer()
    attempts = fields.Integer()
    lock_expires_at = fields.DateTime(allow_none=True)
    detached = fields.Boolean()
    created_at = fields.DateTime()


class JobSummary(Schema):
    """A job without its case data (lists, incidents)."""

    id = fields.String()
    topic = fields.String()
    instance_id = fields.String(allow_none=True)
    case_id = fields.String(allow_none=True)
    bpmn_id = fields.String()
    state = fields.String()
    retries = fields.Integer()
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    error_details = fields.Dict(allow_none=True)
    incident_at = fields.DateTime(allow_none=True)
    lock_owner = fields.String(allow_none=True)
    created_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


# The fields of each record kind a completion may keep: the schemas of the record endpoints.
RECORD_FIELDS: dict[str, type[Schema]] = {"notification": rs.NotificationRecordIn, "ledger": rs.LedgerRecordIn,
                                          "dispatch": rs.DispatchRecordIn}


class CompletionRecordIn(Schema):
    """The job's record, kept in the completion's transaction (instead of a call to
    /records/{kind} first); its columns go into the result under the keys `into` names."""

    kind = fields.String(required=True, validate=validate.OneOf(sorted(RECORD_FIELDS)))
    record_fields = fields.Dict(required=True, data_key="fields",
                                metadata={"description": "as the body of /records/{kind}, without worker_id"})
    into = fields.Dict(keys=fields.String(validate=validate.Length(1, 80)),
                       values=fields.String(validate=validate.Length(1, 80)), load_default=dict,
                       metadata={"description": "result key → the record's column, e.g. {\"entry_id\": \"id\"}"})

    @validates_schema
    def _fields_of_kind(self, data: dict[str, Any], **_kwargs: Any) -> None:
        schema = RECORD_FIELDS.get(data.get("kind", ""))
        if schema is None or "record_fields" not in data:
            return
        errors = schema(exclude=("worker_id",)).validate(data["record_fields"])
        if errors:
            raise ValidationError(errors, "fields")
        # Defaults filled in as the record endpoints do (e.g. an empty summary).
        data["record_fields"] = schema(exclude=("worker_id",)).load(data["record_fields"])


class CompleteJobRequest(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(1, 80))
    variables = fields.Dict(load_default=dict)
    record = fields.Nested(CompletionRecordIn, load_default=None, allow_none=True)


class CompletedJob(Schema):
    """A completed job: its summary and the result as stored (with a kept record's columns)."""

    id = fields.String()
    topic = fields.String()
    state = fields.String()
    result = fields.Dict(allow_none=True)


class FailJobRequest(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(1, 80))
    error = fields.String(required=True, validate=validate.Length(1, 4000))
    details = fields.Dict(load_default=dict)
    retries = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 100),
                             metadata={"description": "retries left; default: one less than now"})
    retry_in_seconds = fields.Integer(load_default=60, validate=validate.Range(0, 7 * 24 * 3600))


class BpmnErrorRequest(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(1, 80))
    code = fields.String(required=True, validate=validate.Length(1, 120))
    message = fields.String(load_default="", validate=validate.Length(0, 2000))
    variables = fields.Dict(load_default=dict)


class ExtendLockRequest(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(1, 80))
    lock_seconds = fields.Integer(required=True, validate=validate.Range(0, MAX_LOCK_SECONDS),
                                  metadata={"description": "from now; 0 gives the job back at once"})


class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0))


class IncidentQuery(PageQuery):
    topic = fields.String()


class RetryRequest(Schema):
    retries = fields.Integer(load_default=1, validate=validate.Range(1, 100))


class TimerIncident(Schema):
    """A timer parked after repeated failed firings (the diagram errs on its path)."""

    id = fields.String()
    instance_id = fields.String()
    bpmn_id = fields.String()
    state = fields.String()
    due_at = fields.DateTime()
    failures = fields.Integer()
    last_error = fields.String(allow_none=True)
    incident_at = fields.DateTime(allow_none=True)


class HotlineTicketIn(Schema):
    """A ticket of the 12345 platform (J-CH-12345)."""

    ticket_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$"))
    applicant_name = fields.String(required=True, validate=validate.Length(1, 50))
    applicant_id_number = fields.String(required=True, validate=validate.Length(15, 18))
    applicant_phone = fields.String(required=True, validate=validate.Length(5, 20))
    applicant_address = fields.String(required=True, validate=validate.Length(1, 200))
    aid_types = fields.List(fields.String(validate=validate.Length(1, 40)), required=True,
                            validate=validate.Length(1, 10))
    reason = fields.String(required=True, validate=validate.Length(1, 2000))
    priority_group = fields.String(load_default=None, allow_none=True)
    region = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(f"^{REGION_PATTERN}$"),
                           metadata={
        "description": "GB/T 2260 code of the applicant's county, township or village; "
                       "default: RELIEF_DEFAULT_REGION"})
    callback_url = fields.Url(load_default=None, allow_none=True, require_tld=False,
                              metadata={"description": "where status updates are pushed (signed)"})


class HotlineReceipt(Schema):
    ticket_id = fields.String()
    instance_id = fields.String()
    business_key = fields.String()
    created = fields.Boolean(metadata={"description": "false: the ticket had been received before"})


class NotificationOut(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    channel = fields.String()
    to = fields.Function(lambda n: mask_phone(n.to) if n.to else "")
    template = fields.String()
    message = fields.String()
    status = fields.String()
    created_at = fields.DateTime()


class OutboxQuery(Schema):
    instance = fields.String()
    status = fields.String(validate=validate.OneOf(["queued", "sent", "failed"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0))


class LedgerOut(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    business_key = fields.String(allow_none=True)
    stage = fields.String()
    summary = fields.String()
    recorded_on = fields.Date()
    recorded_at = fields.DateTime()
    due_by = fields.DateTime(allow_none=True, metadata={"description": "W-LEDGER same-day limit, if any"})
    late = fields.Boolean(metadata={"description": "kept after its same-day limit"})


class LedgerQuery(Schema):
    on = fields.Date(metadata={"description": "entries of this day (YYYY-MM-DD, Beijing time)"})
    business_key = fields.String()
    stage = fields.String()
    late = fields.Boolean(metadata={"description": "only entries kept after their same-day limit"})
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 10000))
    offset = fields.Integer(load_default=0, validate=validate.Range(0))
