"""Checks a diagram must pass before it is stored: each finding names file, element, line."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from lxml import etree

from engine.auth import senders
from engine.definitions.lint_code import code_problems
from engine.definitions.xml_safety import problem
from engine.errors import ReliefError

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
# SpiffWorkflow names its own internal task specs so; an element with such an id vanishes.
RESERVED_IDS = {"Start", "End", "Root"}
FLOW_NODES = (
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway",
)


def task_properties(node: etree._Element) -> dict[str, str]:
    """The spiffworkflow:property name/value pairs of a flow node."""
    return {p.get("name"): p.get("value", "")
            for p in node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
                                namespaces=NS)}


def form_keys(root: etree._Element) -> list[str]:
    """Every formKey referenced in a BPMN document (user tasks and start events)."""
    return sorted({v for node in root.xpath("//bpmn:userTask | //bpmn:startEvent", namespaces=NS)
                   if (v := task_properties(node).get("formKey"))})


class _Linter:
    def __init__(self, file: str, root: etree._Element) -> None:
        self.file, self.root, self.problems = file, root, []

    def add(self, node: etree._Element, message: str) -> None:
        self.problems.append(problem(self.file, message, element=node.get("id"), line=node.sourceline))

    def xpath(self, query: str, node: etree._Element | None = None) -> list[Any]:
        return (node if node is not None else self.root).xpath(query, namespaces=NS)


def lint_bpmn(
    file: str,
    root: etree._Element,
    load_form: Callable[[str], object],
    process_ids: Collection[str],
    known_topics: Collection[str] | None = None,
) -> list[dict]:
    """Return the problems of one BPMN document (empty when it may be deployed).

    `load_form(key)` raises ReliefError when the form is missing or invalid;
    `known_topics`, when given, are the worker topics that exist."""
    lint = _Linter(file, root)
    lint.problems += code_problems(file, root)  # every expression and script
    _check_user_tasks(lint, load_form)
    _check_service_tasks(lint, known_topics)
    _check_gateways(lint)
    _check_references(lint)
    for node in lint.xpath("//bpmn:callActivity"):
        if node.get("calledElement") not in process_ids:
            lint.add(node, f"calls process '{node.get('calledElement')}' which is not in this deployment")
    for node in lint.xpath("//*[@id]"):
        if node.get("id") in RESERVED_IDS or node.get("id", "").endswith(".EndJoin"):
            lint.add(node, f"the id '{node.get('id')}' is reserved by the engine; choose another")
    _check_loop_collections(lint)
    _check_message_senders(lint)
    _check_diagram(lint)
    return lint.problems


def _check_user_tasks(lint: _Linter, load_form: Callable[[str], object]) -> None:
    in_lane = {ref.strip() for ref in lint.xpath("//bpmn:lane[normalize-space(@name)]/bpmn:flowNodeRef/text()")}
    for node in lint.xpath("//bpmn:userTask | //bpmn:startEvent | //bpmn:manualTask | //bpmn:task"):
        props = task_properties(node)
        if props.get("formKey"):
            try:
                load_form(props["formKey"])
            except ReliefError as err:
                lint.add(node, f"form '{props['formKey']}': {err.message}")
        # A plain task, like a manual task, is a step a person confirms (SpiffWorkflow waits
        # for it): like a user task it needs someone who may claim it.
        kind = etree.QName(node).localname
        if kind != "startEvent" and not (props.get("candidateGroupsExpression") or props.get("candidateGroups")
                                         or node.get("id") in in_lane):
            what = {"userTask": "user task", "manualTask": "manual task", "task": "plain task (bpmn:task)"}[kind]
            lint.add(node, f"{what} has no candidateGroups and is in no lane: nobody could claim it")


def _check_service_tasks(lint: _Linter, known_topics: Collection[str] | None) -> None:
    for node in lint.xpath("//bpmn:serviceTask"):
        ops = lint.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", node)
        if not ops or not (ops[0].get("id") or "").strip():
            lint.add(node, "service task names no worker topic (spiffworkflow:serviceTaskOperator id)")
            continue
        topic = ops[0].get("id")
        if known_topics is not None and topic not in known_topics:
            lint.add(node, f"no worker handles topic '{topic}' (known: {', '.join(sorted(known_topics))})")


def _check_gateways(lint: _Linter) -> None:
    for gateway in lint.xpath("//bpmn:exclusiveGateway | //bpmn:inclusiveGateway"):
        gid = gateway.get("id")
        outgoing = lint.xpath(f"//bpmn:sequenceFlow[@sourceRef='{gid}']")
        if len(outgoing) < 2:
            continue
        for flow in outgoing:
            if flow.get("id") != gateway.get("default") and not lint.xpath("./bpmn:conditionExpression", flow):
                lint.add(flow, f"flow out of gateway {gid} has no condition and is not its default")


def _check_references(lint: _Linter) -> None:
    """References SpiffWorkflow would silently ignore: a boundary event on nothing (its
    deadline would never run) and a default flow that is not one of the element's flows."""
    activities = set(lint.xpath("//bpmn:*[self::bpmn:task or self::bpmn:userTask or self::bpmn:manualTask or "
                                "self::bpmn:scriptTask or self::bpmn:serviceTask or self::bpmn:businessRuleTask or "
                                "self::bpmn:sendTask or self::bpmn:receiveTask or self::bpmn:callActivity or "
                                "self::bpmn:subProcess]/@id"))
    for node in lint.xpath("//bpmn:boundaryEvent"):
        if node.get("attachedToRef") not in activities:
            lint.add(node, f"boundary event is attached to '{node.get('attachedToRef')}', which is no activity "
                           "of this diagram")
    for node in lint.xpath("//bpmn:*[@default]"):
        if node.get("default") not in lint.xpath(f"//bpmn:sequenceFlow[@sourceRef='{node.get('id')}']/@id"):
            lint.add(node, f"default flow '{node.get('default')}' is not one of its outgoing sequence flows")


def _check_loop_collections(lint: _Linter) -> None:
    # SpiffWorkflow reads loopDataInputRef/OutputRef as case-data names, but BPMN (and the
    # bpmn.io modeler) reads them as element ids: an unresolved one is silently dropped when
    # a designer saves the diagram, which breaks the multi-instance activity.
    ids = set(lint.xpath("//@id"))
    for ref in lint.xpath("//bpmn:multiInstanceLoopCharacteristics/*[self::bpmn:loopDataInputRef or "
                          "self::bpmn:loopDataOutputRef]"):
        name = (ref.text or "").strip()
        if name and name not in ids:
            activity = ref.getparent().getparent()
            tag = etree.QName(ref).localname
            lint.add(activity, f"{tag} '{name}' names no element, so the modeler drops it on save; declare "
                               f'<bpmn:property id="{name}" name="{name}" /> on the activity')


def _check_message_senders(lint: _Linter) -> None:
    # Every element that catches a message says who may send it (engine/auth/senders.py):
    # without a rule, anyone with a token could answer for a department (issue 9, defect 1).
    catching = ("//bpmn:receiveTask | //bpmn:startEvent[bpmn:messageEventDefinition]"
                " | //bpmn:intermediateCatchEvent[bpmn:messageEventDefinition]"
                " | //bpmn:boundaryEvent[bpmn:messageEventDefinition]")
    for node in lint.xpath(catching):
        for message in senders.problems(task_properties(node).get(senders.PROPERTY)):
            lint.add(node, message)


def _check_diagram(lint: _Linter) -> None:
    drawn = set(lint.xpath("//bpmndi:BPMNShape/@bpmnElement | //bpmndi:BPMNEdge/@bpmnElement"))
    if not lint.xpath("//bpmndi:BPMNDiagram"):
        lint.problems.append(problem(lint.file, "the diagram has no DI (bpmndi:BPMNDiagram): it cannot be drawn"))
        return
    query = " | ".join(f"//bpmn:{tag}" for tag in (*FLOW_NODES, "sequenceFlow"))
    for node in lint.xpath(query):
        if node.get("id") not in drawn:
            lint.add(node, "element has no shape or edge in the diagram (DI)")
