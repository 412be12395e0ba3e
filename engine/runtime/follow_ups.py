"""Follow-up cases: a message a case throws that nothing in it catches starts the process
of that name as a separate case (issue 11).

Some steps the seeds ask for must outlive the case that leads to them: the periodic review
of a household (J-CHECK, `household_review`) lasts as long as the aid, the public posting
(J-PUBLIC / T-VILLAGE, `public_posting`) runs its own period and objections, and the
efficiency-supervision office's outcome (W-EFFICIENCY, `efficiency_outcome`) arrives after
the department may already have decided. The case itself must still end, so it does not
call them (a call activity would wait); it throws a message (an intermediate throw event
with `spiffworkflow:messagePayload`) named after the process key, and this module starts
that process, in the same transaction, as its own case:

- in the throwing case's region, started by the actor of the command that threw;
- with the payload as its start data (checked against its start form, as any start), plus
  `subject_case`, the throwing case's business key, when the payload has none;
- under the throwing case's business key (one key names one case per process), followed by
  `-<follow_up_key>` when the payload names one (one efficiency report per department);
  when a running case of that process holds the key already, nothing is started (the
  household is under review already); when an ended one holds it, the key gets a suffix
  `-2`, `-3`, ….

A message naming no deployed process fails the command (422 naming the message), so
nothing the command did is stored."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

from engine.errors import ProcessError
from engine.store.models import Definition, Instance

MAX_SUFFIX = 50
# A payload field naming which follow-up of the case this is (e.g. one per department): the
# key becomes `<case key>-<value>`; it is not part of the follow-up's data.
KEY_FIELD = "follow_up_key"
# Built once (a Jiangyin case throws three follow-ups; building cost more than running).
_DEPLOYED = sa.select(Definition.id).where(Definition.key == sa.bindparam("b_key")).limit(1)
_HOLDERS = sa.select(Instance.business_key, Instance.status).where(
    Instance.process_key == sa.bindparam("b_process"), Instance.business_key.like(sa.bindparam("b_prefix")))


def start_thrown(ctx: Any, parent: Instance, events: list[Any]) -> list[Instance]:
    """Start the follow-up case of each uncaught message in `events` thrown by `parent`."""
    from engine.runtime.commands.start_instance import StartInstance  # the command module imports the executor

    started = []
    for event in events:
        definition = event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        name = definition.name
        if ctx.session.scalar(_DEPLOYED, {"b_key": name}) is None:
            raise ProcessError(f"message '{name}' is caught by nothing in this case and names no deployed "
                               "process to start", {"message": name})
        payload = dict(event.payload) if isinstance(event.payload, dict) else {}
        suffix = str(payload.pop(KEY_FIELD, "") or "")
        if parent.business_key and "subject_case" not in payload:
            payload["subject_case"] = parent.business_key
        key = _free_key(ctx, name, f"{parent.business_key}-{suffix}" if parent.business_key and suffix
                        else parent.business_key)
        if key is False:
            continue
        command = StartInstance(name, payload, key or None, parent.region)
        started.append(command.execute(ctx))
    return started


def _free_key(ctx: Any, process: str, key: str | None) -> str | None | bool:
    """The business key for a follow-up of `process`: `key`, or `key-n` when an ended case
    of that process holds it; False when a running one does (nothing to start)."""
    if not key:
        return None
    rows = dict(ctx.session.execute(_HOLDERS, {"b_process": process, "b_prefix": f"{key}%"}).all())
    if rows.get(key) == "running":
        return False
    for n in range(1, MAX_SUFFIX + 1):
        candidate = key if n == 1 else f"{key}-{n}"
        if candidate not in rows:
            return candidate
    raise ProcessError(f"more than {MAX_SUFFIX} follow-up cases of '{process}' for '{key}'",
                       {"message": process, "business_key": key})
