"""Who may send a message: a rule on every element that catches one, checked by the
engine when a message is delivered (CorrelateMessage) and required by the deploy linter.

The rule is the SpiffWorkflow extension property `allowedSenders` of the catching element
(receive task, intermediate catch or boundary event, message start event): a comma-separated
list of

- `dept:dispatched` — the department the case was dispatched to (its system signing as
  `dept:<code>`, or a caseworker of that department whose region contains the case's),
  and only for the waiting branch of that department (the branch's `department` variable);
- `role:<role>` — a user with that role whose scope contains the case (engine/auth/scope.py);
- `12345` — the 12345 platform (signed), for a case that came from one of its tickets.

Nobody else may send it: not another department, not staff of another role or region, not
the 12345 platform for a department's answer. A waiting element without a rule (a version
deployed before rules existed) takes messages from an admin only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from sqlalchemy.orm import Session

from engine.auth import scope
from engine.auth.principal import ROLES, Principal
from engine.store.models import Instance
from engine.store.records import Dispatch
from engine.store.worker_models import HotlineTicket

PROPERTY = "allowedSenders"
DISPATCHED = "dept:dispatched"
HOTLINE = "12345"


def problems(rule: str | None) -> list[str]:
    """What is wrong with a rule as written in a diagram (empty: it is a valid rule)."""
    tokens = [t.strip() for t in (rule or "").split(",") if t.strip()]
    if not tokens:
        return [f"catches a message but has no {PROPERTY} property: say who may send it "
                f"({DISPATCHED}, role:<role>, {HOTLINE}; docs/MODELLING.md)"]
    out = []
    for token in tokens:
        if token in (DISPATCHED, HOTLINE):
            continue
        if token.startswith("role:") and token[len("role:"):] in ROLES:
            continue
        out.append(f"{PROPERTY}: '{token}' is not {DISPATCHED}, {HOTLINE} or role:<role> with a role of "
                   f"{', '.join(sorted(ROLES))}")
    return out


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    department: str | None = None  # the sender answered as this department (for its branch only)


def rule_of(waiter: Any, message: str) -> str | None:
    """The `allowedSenders` of the element a waiting task catches `message` with. An
    event-based gateway holds the event definitions of the catch events after it, in the
    order of its outputs (SpiffWorkflow moves them there): the rule is that catch event's."""
    spec = waiter.task_spec
    if isinstance(spec, EventBasedGateway):
        spec = next((out for out, d in zip(spec.outputs, spec.event_definition.event_definitions, strict=False)
                     if isinstance(d, MessageEventDefinition) and d.name == message), spec)
    return ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get(PROPERTY)


def sender_department(who: Principal) -> str | None:
    """The department `who` speaks for: a department system signing as `dept:<code>`, or a
    caseworker of a department."""
    if who.extra.get("signed"):
        return who.username[len("dept:"):] if who.username.startswith("dept:") else None
    return who.department if "caseworker" in who.roles else None


def verdict(session: Session, who: Principal, rule: str | None, instance: Instance,
            branch: dict[str, Any]) -> Verdict:
    """Whether `who` may send the message to the branch (its data `branch`) of `instance`
    that waits under `rule`."""
    if rule is None:
        return Verdict(who.is_admin and not who.extra.get("signed"))
    for token in (t.strip() for t in rule.split(",")):
        if token == DISPATCHED:
            department = sender_department(who)
            if department and branch.get("department", department) == department \
                    and _dispatched(session, instance.id, department) \
                    and (who.extra.get("signed") or scope.region_contains(who.region, instance.region)):
                return Verdict(True, department)
        elif token == HOTLINE:
            if who.extra.get("signed") and who.username == HOTLINE and session.scalar(
                    sa.select(HotlineTicket.ticket_id).where(HotlineTicket.instance_id == instance.id).limit(1)):
                return Verdict(True)
        elif token.startswith("role:"):
            if not who.extra.get("signed") and who.has_role(token[len("role:"):]) \
                    and scope.sees_instance(session, who, instance):
                return Verdict(True)
    return Verdict(False)


def _dispatched(session: Session, instance_id: str, department: str) -> bool:
    return session.scalar(scope.dispatched_to(department).where(Dispatch.instance_id == instance_id).limit(1)) \
        is not None
