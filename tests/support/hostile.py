"""One diagram (or decision table) per place designers write code, each with the same
payload, for the deploy-check tests and the hostile-deployment suite.

`SITES[name](code)` is the list of files of a deployment whose only code at that site is
`code`; `ELEMENT[name]` the element id a refusal must name. The list covers every site of
engine/definitions/lint_code.py (tests/engine/test_deploy_checks.py checks that).
"""

from __future__ import annotations

from collections.abc import Callable

from engine.definitions.bundle import BundleFile
from tests.support import diagrams as d

_MI = "<bpmn:multiInstanceLoopCharacteristics>{}</bpmn:multiInstanceLoopCharacteristics>"


def _text(code: str) -> str:
    return code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _one(key: str, nodes: list[str], extra: str = "", top: str = "", **others: str) -> list[BundleFile]:
    return d.bundle(d.chain(key, nodes, extra=extra, definitions_extra=top), **others)


def _message_site(code: str, where: str) -> list[BundleFile]:
    # where SpiffWorkflow reads them: inside the message event definition
    payload = f"<spiffworkflow:messagePayload>{_text(code)}</spiffworkflow:messagePayload>"
    correlation = (f'<spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId>case_key'
                   f'</spiffworkflow:propertyId><spiffworkflow:expression>{_text(code)}</spiffworkflow:expression>'
                   f'</spiffworkflow:processVariableCorrelation>')
    inner = payload if where == "payload" else correlation
    kind = "intermediateThrowEvent" if where == "payload" else "intermediateCatchEvent"
    # A catch needs its senders named (engine/auth/senders.py), or the deploy is refused for that instead.
    senders = ('' if where == "payload" else
               '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
               'name="allowedSenders" value="role:clerk" /></spiffworkflow:properties></bpmn:extensionElements>')
    send = (f'<bpmn:{kind} id="Throw_Message" name="消息">{senders}'
            f'<bpmn:messageEventDefinition messageRef="Message_Out">'
            f'<bpmn:extensionElements>{inner}</bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:{kind}>')
    top = ('<bpmn:message id="Message_Out" name="out" />'
           '<bpmn:correlationProperty id="case_key" name="case key"><bpmn:correlationPropertyRetrievalExpression '
           'messageRef="Message_Out"><bpmn:formalExpression>key</bpmn:formalExpression>'
           '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>')
    return _one("hostile_message", [send], top=top)


SITES: dict[str, Callable[[str], list[BundleFile]]] = {
    "script task": lambda c: _one("hostile_script", [d.script_task("Script_Hostile", c)]),
    "pre-script": lambda c: _one("hostile_pre", [d.user_task(
        "Task_Hostile", f"<bpmn:extensionElements><spiffworkflow:preScript>{_text(c)}</spiffworkflow:preScript>"
                        "</bpmn:extensionElements>")]),
    "post-script": lambda c: _one("hostile_post", [d.user_task(
        "Task_Hostile", f"<bpmn:extensionElements><spiffworkflow:postScript>{_text(c)}</spiffworkflow:postScript>"
                        "</bpmn:extensionElements>")]),
    "gateway condition": lambda c: d.bundle(d.chain("hostile_gateway", [
        '<bpmn:exclusiveGateway id="Gateway_Hostile" default="Flow_Default" />', d.user_task("Task_Next")],
        extra='<bpmn:endEvent id="End_Default" /><bpmn:sequenceFlow id="Flow_Default" '
              'sourceRef="Gateway_Hostile" targetRef="End_Default" />').replace(
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="Gateway_Hostile" targetRef="Task_Next" />',
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="Gateway_Hostile" targetRef="Task_Next">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{_text(c)}</bpmn:conditionExpression>'
        '</bpmn:sequenceFlow>')),
    "timer": lambda c: _one("hostile_timer", [d.user_task("Task_Wait")], extra=(
        '<bpmn:boundaryEvent id="Timer_Hostile" attachedToRef="Task_Wait" cancelActivity="false">'
        f'<bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">{_text(c)}</bpmn:timeDate>'
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent>')),
    "timer duration": lambda c: _one("hostile_duration", [d.user_task("Task_Wait")], extra=(
        '<bpmn:boundaryEvent id="Timer_Hostile" attachedToRef="Task_Wait" cancelActivity="false">'
        f'<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{_text(c)}'
        '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>')),
    "service parameter": lambda c: _one("hostile_service", [
        '<bpmn:serviceTask id="Service_Hostile" name="通知"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="applicant.notify" resultVariable="notice"><spiffworkflow:parameters>'
        f'<spiffworkflow:parameter id="template" type="str" value="{_text(c)}" />'
        '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>']),
    "candidate groups": lambda c: _one("hostile_groups", [
        '<bpmn:userTask id="Task_Hostile" name="x"><bpmn:extensionElements><spiffworkflow:properties>'
        f'<spiffworkflow:property name="candidateGroupsExpression" value="{_text(c)}" />'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>']),
    "preferred assignee": lambda c: _one("hostile_preferred", [
        '<bpmn:userTask id="Task_Hostile" name="x"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="candidateGroups" value="window" />'
        f'<spiffworkflow:property name="preferredAssignee" value="{_text(c)}" />'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>']),
    "preferred assignee days": lambda c: _one("hostile_preferred_days", [
        '<bpmn:userTask id="Task_Hostile" name="x"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="candidateGroups" value="window" />'
        # a person named outright: the days are evaluated once a person is found
        '<spiffworkflow:property name="preferredAssignee" value="\'window\'" />'
        f'<spiffworkflow:property name="preferredAssigneeDays" value="{_text(c)}" />'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>']),
    "cardinality": lambda c: _one("hostile_cardinality", [d.user_task(
        "Task_Hostile", _MI.format(f"<bpmn:loopCardinality>{_text(c)}</bpmn:loopCardinality>"))]),
    "completion condition": lambda c: _one("hostile_completion", [d.user_task("Task_Hostile", _MI.format(
        f"<bpmn:loopCardinality>2</bpmn:loopCardinality><bpmn:completionCondition>{_text(c)}"
        "</bpmn:completionCondition>"))]),
    "loop condition": lambda c: _one("hostile_loop", [d.user_task(
        "Task_Hostile", f"<bpmn:standardLoopCharacteristics><bpmn:loopCondition>{_text(c)}</bpmn:loopCondition>"
                        "</bpmn:standardLoopCharacteristics>")]),
    "conditional event": lambda c: _one("hostile_conditional", [
        '<bpmn:intermediateCatchEvent id="Catch_Hostile"><bpmn:conditionalEventDefinition>'
        f'<bpmn:condition xsi:type="bpmn:tFormalExpression">{_text(c)}</bpmn:condition>'
        '</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>']),
    "message payload": lambda c: _message_site(c, "payload"),
    "correlation": lambda c: _message_site(c, "correlation"),
    "signal payload": lambda c: _one("hostile_signal", [
        '<bpmn:intermediateThrowEvent id="Throw_Signal"><bpmn:signalEventDefinition signalRef="Signal_Out" />'
        '</bpmn:intermediateThrowEvent>'], top=(
        '<bpmn:signal id="Signal_Out" name="out"><bpmn:extensionElements>'
        f'<spiffworkflow:payloadExpression>{_text(c)}</spiffworkflow:payloadExpression>'
        '</bpmn:extensionElements></bpmn:signal>')),
    "dmn input cell": lambda c: _one("hostile_dmn_in", [d.business_rule_task("Rule_Hostile", "hostile_in")],
                                     **{"hostile_in.dmn": d.dmn("hostile_in", "1", [(c, "'a'")])}),
    "dmn output cell": lambda c: _one("hostile_dmn_out", [d.business_rule_task("Rule_Hostile", "hostile_out")],
                                      **{"hostile_out.dmn": d.dmn("hostile_out", "1", [("-", c)])}),
    "dmn input expression": lambda c: _one("hostile_dmn_expr", [d.business_rule_task("Rule_Hostile", "hostile_ex")],
                                           **{"hostile_ex.dmn": d.dmn("hostile_ex", c, [("1", "'a'")])}),
}
# The element a refusal of each site names.
ELEMENT = {
    "script task": "Script_Hostile", "pre-script": "Task_Hostile", "post-script": "Task_Hostile",
    "gateway condition": "Flow_1", "timer": "Timer_Hostile", "timer duration": "Timer_Hostile",
    "service parameter": "Service_Hostile", "candidate groups": "Task_Hostile", "cardinality": "Task_Hostile",
    "preferred assignee": "Task_Hostile", "preferred assignee days": "Task_Hostile",
    "completion condition": "Task_Hostile", "loop condition": "Task_Hostile", "conditional event": "Catch_Hostile",
    "message payload": "Throw_Message", "correlation": "Throw_Message", "signal payload": "Signal_Out",
    "dmn input cell": "In_0", "dmn output cell": "Out_0", "dmn input expression": "Input_1",
}
