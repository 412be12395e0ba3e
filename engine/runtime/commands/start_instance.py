"""Start an instance of the latest approved (or a given) version of a definition.

A business key names one case per process (the definition's key, across its versions),
for ever; the database enforces it (migration 0007), so two starts racing with one key
make one case. A start with a key that names a case already is a retry when it carries
the same data (and, if it names a version, that case's version): it returns that case,
changing nothing. Otherwise it is refused with 409 naming `business_key` (issue 9,
defect 10)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn.specs.defaults import StartEvent

from engine.crypto.seal import holds_personal_number
from engine.definitions import approval
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.forms import validate_submission
from engine.runtime import first_question, state
from engine.runtime.context import LEAN, CommandContext
from engine.store.base import new_id
from engine.store.models import Definition, Instance

MAX_BUSINESS_KEY = 120
# Built once: a start runs them on every case and every follow-up case it throws, and
# building a statement cost more than running it (profiled).
_BY_ID = sa.select(Definition).where(Definition.id == sa.bindparam("b_id"))
_BY_VERSION = sa.select(Definition).where(Definition.key == sa.bindparam("b_key"),
                                          Definition.version == sa.bindparam("b_version"))
# The latest version that may take cases (a newer one may await approval).
_LATEST = (sa.select(Definition).where(Definition.key == sa.bindparam("b_key"), approval.STARTABLE)
           .order_by(Definition.version.desc()).limit(1))
_BY_KEY = sa.select(Instance).options(*LEAN).where(Instance.process_key == sa.bindparam("b_process"),
                                                   Instance.business_key == sa.bindparam("b_key"))


@dataclass
class StartInstance:
    definition: str  # key (latest approved version), "key:version", or numeric id
    data: dict[str, Any] = field(default_factory=dict)
    business_key: str | None = None
    region: str | None = None
    name: str = "start_instance"
    created: bool = field(default=False, compare=False)  # after `execute`: False when an existing case was returned

    def _definition(self, ctx: CommandContext) -> Definition:
        ref = str(self.definition)
        if ref.isdigit():
            found = ctx.session.scalar(_BY_ID, {"b_id": int(ref)})
        elif ":" in ref and ref.rsplit(":", 1)[1].isdigit():
            key, version = ref.rsplit(":", 1)
            found = ctx.session.scalar(_BY_VERSION, {"b_key": key, "b_version": int(version)})
        else:
            found = ctx.session.scalar(_LATEST, {"b_key": ref})
        if found is None:
            raise NotFound(f"no deployed definition '{ref}'", {"definition": ref})
        approval.check_startable(found)
        return found

    def execute(self, ctx: CommandContext) -> Instance:
        if self.business_key is not None and (not self.business_key.strip() or
                                              len(self.business_key) > MAX_BUSINESS_KEY):
            raise ValidationFailed("business_key must be 1-120 characters",
                                   {"fields": {"business_key": ["1-120 characters"]}})
        if self.business_key is not None and holds_personal_number(self.business_key, strict=True):
            # Business keys are stored, indexed and shown in clear (lists, ledger, messages).
            raise ValidationFailed("business_key must not hold an ID number or a phone number",
                                   {"fields": {"business_key": ["holds personal data (J-SEC)"]}})
        definition = self._definition(ctx)
        data = dict(self.data)
        if definition.start_form_key:
            form = ctx.specs.form(ctx.session, definition.deployment_id, definition.start_form_key)
            data = validate_submission(form, data)
        process = ctx.specs.process(ctx.session, definition)
        for spec in process.spec.task_specs.values():  # W-FIRST / T-ONCE: the registering clerk
            if isinstance(spec, StartEvent):
                first_question.record_actor((getattr(spec, "extensions", None) or {}).get("properties", {}) or {},
                                            data, data, ctx.actor)
        if self.business_key is not None:
            existing = ctx.session.scalar(_BY_KEY, {"b_process": definition.key, "b_key": self.business_key})
            if existing is not None:
                self.created = False
                return self._retried(ctx, existing, definition, data)
        self.created = True
        workflow = state.new_workflow(process.spec, process.subprocess_specs)
        start = workflow.task_tree
        start.data.update(data)
        # The id is set here rather than at the flush: the row is then inserted once, with
        # its state, when `record` writes the command (no INSERT then UPDATE).
        row = Instance(id=new_id(), definition_id=definition.id, business_key=self.business_key,
                       status="running", state={}, started_by=ctx.actor, started_at=ctx.now, updated_at=ctx.now,
                       region=self.region, process_key=definition.key)
        row.definition = definition
        ctx.session.add(row)
        ctx.adopt(row, workflow)
        ctx.run_engine(workflow)
        ctx.record(row, self.name, {"definition": f"{definition.key}:{definition.version}",
                                    "business_key": self.business_key, "data": data})
        return row

    def _retried(self, ctx: CommandContext, existing: Instance, definition: Definition,
                 data: dict[str, Any]) -> Instance:
        """The case the business key names, if this start is a retry of the one that made
        it; 409 otherwise. The case's start data is its first task's data, as stored."""
        ref = str(self.definition)
        names_version = ref.isdigit() or (":" in ref and ref.rsplit(":", 1)[1].isdigit())
        if names_version and existing.definition_id != definition.id:
            raise Conflict(f"business key '{self.business_key}' already names case {existing.id}, started on "
                           f"another version of {definition.key}", {"business_key": self.business_key,
                                                                      "instance": existing.id})
        if _canonical(ctx.workflow(existing).task_tree.data) != _canonical(data):
            raise Conflict(f"business key '{self.business_key}' already names case {existing.id}, started with "
                           "other data", {"business_key": self.business_key, "instance": existing.id})
        return ctx.returned(existing)


def _canonical(data: dict[str, Any]) -> str:
    """Data as JSON with sorted keys: equal data, equal text (as the stored state keeps it)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
