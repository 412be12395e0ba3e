"""Deploy checks of the BPMN elements themselves: what this engine cannot run is refused,
naming the element, instead of being dropped or half-run.

Diagrams drawn with other tools (Camunda Modeler, Signavio, Visio exports) may hold
elements SpiffWorkflow parses but this engine does not carry out faithfully (compensation,
transactions, ad-hoc sub-processes), or that SpiffWorkflow silently ignores when no
sequence flow reaches them. Each is refused with its id and what to use instead.
"""

from __future__ import annotations

from collections.abc import Collection

from lxml import etree

from engine.definitions.lint_code import CONTAINERS, owner
from engine.definitions.xml_safety import problem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_COMPENSATION = "compensation is not supported: the engine never undoes a completed step"
UNSUPPORTED: dict[str, str] = {
    "complexGateway": "complex gateways are not supported; use an exclusive, inclusive or parallel gateway",
    "adHocSubProcess": "ad-hoc sub-processes are not supported; model the order of the steps",
    "transaction": "transactions are not supported (the engine never undoes a completed step); "
                   "use a sub-process",
    "compensateEventDefinition": _COMPENSATION,
    "cancelEventDefinition": "cancel events belong to transactions, which are not supported",
    "dataStore": "data stores are not supported: case data lives in the case, outside systems are "
                 "reached through service tasks",
    "dataStoreReference": "data stores are not supported: case data lives in the case, outside systems are "
                          "reached through service tasks",
    "choreography": "choreographies are not supported",
    "choreographyTask": "choreographies are not supported",
    "callChoreography": "choreographies are not supported",
    "subChoreography": "choreographies are not supported",
    "globalTask": "global tasks are not supported; use a call activity",
    "globalUserTask": "global tasks are not supported; use a call activity",
    "globalManualTask": "global tasks are not supported; use a call activity",
    "globalScriptTask": "global tasks are not supported; use a call activity",
    "globalBusinessRuleTask": "global tasks are not supported; use a call activity",
    "timeCycle": "timeCycle timers are not supported; use timeDate or timeDuration",
}
# What may stand directly in a process or sub-process; anything else there is refused.
IN_PROCESS = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway", "sequenceFlow", "laneSet", "dataObject", "dataObjectReference", "textAnnotation",
    "association", "group", "property", "ioSpecification", "extensionElements", "documentation",
    "correlationSubscription", "auditing", "monitoring", "categoryValueRef",
})
EVENT_DEFINITIONS = frozenset({
    "timerEventDefinition", "messageEventDefinition", "errorEventDefinition", "signalEventDefinition",
    "escalationEventDefinition", "terminateEventDefinition", "conditionalEventDefinition", "linkEventDefinition",
})


def element_problems(file: str, root: etree._Element, max_loop: int) -> list[dict]:
    """What in this BPMN document the engine cannot run, each named by element id and line."""
    problems = []

    def add(node: etree._Element, message: str) -> None:
        named = node if node.get("id") else owner(node)
        problems.append(problem(file, message, element=named.get("id"), line=node.sourceline))

    for node in root.iter(f"{{{BPMN}}}*"):
        name = etree.QName(node).localname
        parent = node.getparent()
        if name in UNSUPPORTED:
            add(node, f"bpmn:{name}: {UNSUPPORTED[name]}")
        elif name.endswith("EventDefinition") and name not in EVENT_DEFINITIONS:
            add(node, f"bpmn:{name} is not supported by this engine")
        elif parent is not None and etree.QName(parent).localname in CONTAINERS - {"definitions"} \
                and name not in IN_PROCESS:
            add(node, f"bpmn:{name} is not supported by this engine")
        if node.get("isForCompensation") == "true":
            add(node, f"bpmn:{name} is a compensation handler: {_COMPENSATION}")
        if name == "standardLoopCharacteristics" and node.get("loopMaximum") is not None:
            maximum = node.get("loopMaximum", "")
            if not maximum.strip().isdigit() or int(maximum) > max_loop:
                add(node, f"loopMaximum must be a whole number of at most {max_loop} (the multi-instance ceiling)")
    return problems + gateway_problems(file, root)


def gateway_problems(file: str, root: etree._Element) -> list[dict]:
    """An exclusive or inclusive gateway without a default flow, with an outgoing flow that
    has no condition: named on the gateway (where a designer looks for its default) and on
    each such flow, before SpiffWorkflow's parser refuses the flow alone."""
    ns = {"bpmn": BPMN}
    problems = []
    for gateway in root.xpath("//bpmn:exclusiveGateway | //bpmn:inclusiveGateway", namespaces=ns):
        gid = gateway.get("id")
        if not gid or gateway.get("default"):
            continue
        outgoing = root.xpath("//bpmn:sequenceFlow[@sourceRef=$g]", namespaces=ns, g=gid)
        bare = [f for f in outgoing if not f.xpath("./bpmn:conditionExpression", namespaces=ns)]
        if len(outgoing) < 2 or not bare:
            continue
        names = ", ".join(f.get("id") or "?" for f in bare)
        problems.append(problem(file, f"gateway has no default flow and flow {names} has no condition",
                                element=gid, line=gateway.sourceline))
        problems += [problem(file, f"flow out of gateway {gid} has no condition and is not its default",
                             element=f.get("id"), line=f.sourceline) for f in bare]
    return problems


def call_cycles(roots: dict[str, etree._Element], process_ids: Collection[str]) -> list[dict]:
    """Call activities that would call their own process again (directly or through others):
    each call starts the next at once, so the case would never stop growing."""
    ns = {"bpmn": BPMN}
    calls: dict[str, list[tuple[str, etree._Element, str]]] = {}
    for file, root in roots.items():
        for process in root.xpath("//bpmn:process", namespaces=ns):
            calls[process.get("id")] = [(node.get("calledElement"), node, file)
                                        for node in process.xpath(".//bpmn:callActivity", namespaces=ns)
                                        if node.get("calledElement") in process_ids]
    problems = []
    for start in calls:
        seen, stack = set(), [start]
        while stack:
            for called, node, file in calls.get(stack.pop(), []):
                if called == start:
                    problems.append(problem(file, f"calls process '{called}', which leads back to '{start}': "
                                                  "calls may not be recursive", element=node.get("id"),
                                            line=node.sourceline))
                elif called not in seen:
                    seen.add(called)
                    stack.append(called)
    return _unique(problems)


def _unique(problems: list[dict]) -> list[dict]:
    seen, out = set(), []
    for p in problems:
        key = (p["file"], p["element"], p["message"])
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
