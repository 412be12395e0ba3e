"""marshmallow schemas of the API; the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from api.inputs import ApiSchema as Schema  # every schema gets the input rules of api/inputs.py
from engine import worklist
from engine.auth.scope import REGION_PATTERN
from engine.definitions.approval import state as approval_state
from engine.definitions.bundle import MAX_FILES


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


class ErrorBody(Schema):
    error = fields.String(required=True, metadata={"description": "machine-readable code"})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={"description": "the field, file or element at fault"})


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(1, 80))
    password = fields.String(required=True, validate=validate.Length(1, 200), load_only=True)


class Token(Schema):
    token = fields.String(required=True)
    username = fields.String()
    roles = fields.List(fields.String())
    groups = fields.List(fields.String())


class FormKeys(Schema):
    forms = fields.List(fields.String(), metadata={"description": "form keys, e.g. jiangyin/accept.json"})


class DefinitionOut(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    deployment_id = fields.Integer()
    content_hash = fields.String()
    start_form_key = fields.String(allow_none=True)
    created_at = fields.DateTime()
    deployed_by = fields.String(allow_none=True)
    approval = fields.Function(approval_state, metadata={
        "type": "string", "enum": ["not_required", "pending", "approved"],
        "description": "not_required, pending (takes no new case until a second designer approves) or approved"})
    approved_by = fields.String(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)


class StartFormOut(Schema):
    definition = fields.Nested(DefinitionOut, metadata={"description": "the version a start takes now"})
    form_key = fields.String(metadata={"description": "the start form's key, e.g. jiangyin/application.json"})
    schema = fields.Dict(metadata={"description": "the form-js schema, as deployed"})


class DeploymentOut(Schema):
    deployment_id = fields.Integer()
    created = fields.Boolean(metadata={"description": "false when identical content was deployed before"})
    definitions = fields.List(fields.Nested(DefinitionOut))


class DeploymentUpload(Schema):
    files = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}), required=True,
                        validate=validate.Length(1, MAX_FILES))


class StartRequest(Schema):
    definition = fields.String(required=True, validate=validate.Length(1, 160),
                               metadata={"description": "key (latest version), key:version, or id"})
    data = fields.Dict(load_default=dict)
    business_key = fields.String(allow_none=True, validate=validate.Length(1, 120))
    region = fields.String(allow_none=True, validate=validate.Regexp(f"^{REGION_PATTERN}$"), metadata={
        "description": "GB/T 2260 code (6, 9 or 12 digits) of the applicant's county, township or village, "
                       "within yours; default: your region"})


class InstanceOut(Schema):
    id = fields.String()
    definition = fields.Function(lambda i: f"{_get(i, 'definition').key}:{_get(i, 'definition').version}")
    business_key = fields.String(allow_none=True)
    status = fields.String()
    version = fields.Integer()
    region = fields.String(allow_none=True)
    started_by = fields.String()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class InstanceDetail(InstanceOut):
    data = fields.Dict()
    open_tasks = fields.List(fields.Dict())


class InstanceQuery(Schema):
    status = fields.String(validate=validate.OneOf(["running", "completed", "cancelled", "error"]))
    business_key = fields.String()
    definition = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0))


class CancelRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class HistoryEvent(Schema):
    seq = fields.Integer()
    command = fields.String()
    actor = fields.String()
    at = fields.DateTime()
    input = fields.Dict()
    changes = fields.List(fields.Dict())
    prev_hash = fields.String()
    hash = fields.String()


def _overdue(row: Any) -> bool:
    from api.routes.common import engine

    due, state = _get(row, "due_at"), _get(row, "state")
    return bool(due is not None and state == "open" and due < engine().clock.now())


class TaskOut(Schema):
    id = fields.String()
    instance_id = fields.String()
    process_id = fields.String()
    bpmn_id = fields.String()
    name = fields.String()
    form_key = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String())
    assignee = fields.String(allow_none=True)
    state = fields.String()
    due_at = fields.DateTime(allow_none=True)
    due_provisional = fields.Boolean(metadata={
        "description": "the deadline falls in a year whose holiday arrangement is not published yet"})
    overdue = fields.Function(lambda row: _overdue(row), metadata={"description": "open and past its deadline"})
    statutory_basis = fields.String(allow_none=True)
    created_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class CompletedTaskOut(TaskOut):
    next_tasks = fields.List(fields.Nested(TaskOut), metadata={
        "description": "with `next_tasks` asked: the case's open tasks you may work on now"})


class TaskDetail(TaskOut):
    form = fields.Dict(allow_none=True, metadata={"description": "the form-js schema to render"})
    data = fields.Dict()


class TaskFilterFields(Schema):
    """The case filters the task list page has too (web/views/tasks.py); one query applies
    them (engine/queries.py)."""

    process = fields.String(validate=validate.Regexp(worklist.KEY_PATTERN), metadata={
        "description": "the case's process (variant) key, e.g. jiangyin_one_door"})
    channel = fields.String(validate=validate.OneOf(worklist.CHANNELS), metadata={
        "description": "how the application came in"})
    aid_type = fields.String(validate=validate.Regexp(worklist.KEY_PATTERN), metadata={
        "description": "the case applies for this aid type (code of the start form's aid_types, e.g. dibao)"})
    provisional = fields.Boolean(load_default=False, metadata={
        "description": "only deadlines in a year whose holiday calendar is not published yet"})
    q = fields.String(validate=validate.Length(1, 80), metadata={
        "description": "part of the business key, or the applicant's full name (a partial name finds nothing)"})


class TaskQuery(TaskFilterFields):
    # A task's stage; a department wait has none (its query has no such field: 422 naming it).
    stage = fields.String(validate=validate.Regexp(worklist.KEY_PATTERN), metadata={
        "description": "the task's element id (its stage)"})
    instance = fields.String()
    mine = fields.Boolean(load_default=False, metadata={"description": "only tasks claimed by me"})
    my_groups = fields.Boolean(load_default=False, metadata={"description": "only tasks my groups may claim"})
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "completed", "cancelled"]))
    overdue = fields.Boolean(load_default=False, metadata={"description": "only tasks past their deadline"})
    due_soon = fields.Boolean(load_default=False, metadata={
        "description": "only tasks not yet overdue whose deadline falls within `due_within_hours`"})
    due_within_hours = fields.Integer(load_default=24, validate=validate.Range(1, 24 * 90))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0))


class DepartmentWaitQuery(TaskFilterFields):
    overdue = fields.Boolean(load_default=False, metadata={"description": "only waits past their deadline"})
    due_soon = fields.Boolean(load_default=False, metadata={
        "description": "only waits not yet overdue whose deadline falls within `due_within_hours`"})
    due_within_hours = fields.Integer(load_default=24, validate=validate.Range(1, 24 * 90))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0))


class DepartmentWaitOut(Schema):
    """A case waiting for a department system's answer (no task row exists for it)."""

    kind = fields.Constant("department_wait", metadata={"description": "等待部门回复"})
    task_id = fields.String(metadata={"description": "the waiting element's task id"})
    instance_id = fields.String()
    business_key = fields.String(allow_none=True)
    process_key = fields.String(allow_none=True)
    applicant = fields.String(allow_none=True, metadata={"description": "masked (张*三)"})
    bpmn_id = fields.String()
    name = fields.String()
    department = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    due_provisional = fields.Boolean()
    overdue = fields.Boolean()
    created_at = fields.DateTime()


class CompleteRequest(Schema):
    data = fields.Dict(load_default=dict)
    next_tasks = fields.Boolean(load_default=False, metadata={
        "description": "answer with the case's open tasks you may work on now (`next_tasks`), as "
                       "GET /tasks?instance= would list them: no second call to find the next step"})


class MessageRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    business_key = fields.String(required=True, validate=validate.Length(1, 120))
    payload = fields.Dict(load_default=dict)
