"""marshmallow schemas of the worker protocol, incidents, 12345 intake and outbox."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from api import record_schemas as rs
from api.inputs import ApiSchema as Schema  # every schema gets the input rules of api/inputs.py
from engine import records
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


def _completion_record(kind: str, fields_schema: type[Schema]) -> type[Schema]:
    """The `record` of a job's completion that keeps a record of `kind`: its fields are those
    of POST /jobs/{job_id}/records/{kind} without worker_id, and `into` may only name its columns."""
    columns = sorted(records.MODELS[kind].__table__.columns.keys())
    return Schema.from_dict({
        "kind": fields.String(required=True, validate=validate.OneOf([kind])),
        "record_fields": fields.Nested(fields_schema, required=True, data_key="fields",
                                       metadata={"description": f"as the body of /records/{kind}, without worker_id"}),
        # The result's keys are variables as the worker's `variables` are (no rule OpenAPI 3.0 can state).
        "into": fields.Dict(keys=fields.String(),
                            values=fields.String(validate=validate.OneOf(columns)), load_default=dict,
                            metadata={"description": "result key → the record's column, e.g. {\"entry_id\": \"id\"}"}),
    }, name=f"{kind.capitalize()}CompletionRecord")


# One schema per record kind a completion may keep; the OpenAPI document states the record
# as one of them, told apart by `kind` (api/openapi.py), and a body is loaded by the one its
# `kind` names, so that the document and the check are the same rules.
COMPLETION_RECORDS: dict[str, type[Schema]] = {kind: _completion_record(kind, schema)
                                               for kind, schema in rs.FIELDS_OF_KIND.items()}


class CompletionRecordField(fields.Field):
    """The job's record, kept in the completion's transaction (instead of a call to
    /records/{kind} first); its columns go into the result under the keys `into` names."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError("an object with kind, fields and into")
        schema = COMPLETION_RECORDS.get(value.get("kind"))  # type: ignore[arg-type]
        if schema is None:
            raise ValidationError({"kind": [f"one of {', '.join(sorted(COMPLETION_RECORDS))}"]})
        return schema().load(value)


class CompleteJobRequest(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(1, 80))
    variables = fields.Dict(load_default=dict)
    record = CompletionRecordField(load_default=None, allow_none=True, metadata={
        "oneOf": [{"$ref": f"#/components/schemas/{schema.__name__}"} for schema in COMPLETION_RECORDS.values()],
        "description": "the record the completion keeps (one of its kinds), or null"})


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
