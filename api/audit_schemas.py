"""Schemas of the auditor's API (X-AUDIT): seals of the global chain, their check, and the
nightly verification runs."""

from __future__ import annotations

from marshmallow import fields, validate

from api.inputs import ApiSchema as Schema  # every schema gets the input rules of api/inputs.py


class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0))


class SealOut(Schema):
    seq = fields.Integer(required=True, metadata={"description": "1, 2, 3 …: the seal's place in the chain"})
    sealed_at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    cases = fields.Integer(required=True, metadata={"description": "how many case heads it seals"})
    digest = fields.String(required=True, metadata={"description": "SHA-256 of the sealed heads"})
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class SealPage(Schema):
    total = fields.Integer(required=True)
    seals = fields.List(fields.Nested(SealOut), required=True)


class FailureOut(Schema):
    instance_id = fields.String(allow_none=True, metadata={"description": "the case named (none: a seal's own)"})
    line = fields.String(required=True, metadata={"description": "what differs, and where"})


class SealCheckOut(Schema):
    ok = fields.Boolean(required=True)
    seals = fields.Integer(required=True, metadata={"description": "how many seals were checked"})
    problems = fields.List(fields.Nested(FailureOut), required=True,
                           metadata={"description": "on the cases you may see, and the seals' own"})


class RunOut(Schema):
    id = fields.Integer(required=True)
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    checked = fields.Integer(required=True, metadata={"description": "cases verified by re-execution"})
    failed = fields.Integer(required=True, metadata={"description": "failures in all regions (cases and seals)"})


class RunPage(Schema):
    total = fields.Integer(required=True)
    runs = fields.List(fields.Nested(RunOut), required=True)


class RunDetailOut(RunOut):
    failures = fields.List(fields.Nested(FailureOut), required=True,
                           metadata={"description": "the failures on the cases you may see (and the seals' own)"})
