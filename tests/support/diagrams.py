"""Build small deployable diagrams and DMN tables for tests of what designers may write.

`chain("key", [node, ...])` makes start → each node in turn → end, with the sequence
flows, and the DI every element needs to pass the deploy checks; a node is the XML of one
flow node whose id is given. Hostile and limit tests put one expression site each into
such a chain, so that exactly that site is what deploy refuses or the run bounds.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.definitions.bundle import BundleFile
from engine.definitions.lint import FLOW_NODES, NS

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_{key}" '
        'targetNamespace="http://bpmn.io/schema/bpmn">\n')
_ID = re.compile(r'\bid="([^"]+)"')


def user_task(task_id: str, inner: str = "", group: str = "county-centre", attrs: str = "") -> str:
    """A user task for `group`; `inner` goes inside it (extension elements, loop characteristics)."""
    props = (f'<spiffworkflow:properties><spiffworkflow:property name="candidateGroups" value="{group}" />'
             '</spiffworkflow:properties>')
    if "<bpmn:extensionElements>" in inner:
        inner = inner.replace("<bpmn:extensionElements>", "<bpmn:extensionElements>" + props, 1)
    else:
        inner = f"<bpmn:extensionElements>{props}</bpmn:extensionElements>{inner}"
    return f'<bpmn:userTask id="{task_id}" name="办理"{attrs}>{inner}</bpmn:userTask>'


def script_task(task_id: str, script: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}" name="计算"><bpmn:script>{_text(script)}</bpmn:script></bpmn:scriptTask>'


def chain(key: str, nodes: list[str], extra: str = "", definitions_extra: str = "") -> str:
    """Start → `nodes` in order → end, as one process `key`; `extra` is more XML inside the
    process (boundary events with their own flows, ...), `definitions_extra` more at the top
    (messages, errors, ...). DI is added for every flow node and sequence flow."""
    ids = ["StartEvent_1"] + [_first_id(n) for n in nodes] + ["EndEvent_1"]
    body = ['<bpmn:startEvent id="StartEvent_1" name="开始" />', *nodes,
            '<bpmn:endEvent id="EndEvent_1" name="结束" />']
    flows = [f'<bpmn:sequenceFlow id="Flow_{i}" sourceRef="{a}" targetRef="{b}" />'
             for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))]
    process = (f'<bpmn:process id="{key}" name="测试" isExecutable="true">\n' + "\n".join(body + flows)
               + extra + "\n</bpmn:process>\n")
    return with_di(HEAD.format(key=key) + definitions_extra + process + "</bpmn:definitions>\n", key)


def with_di(xml: str, key: str) -> str:
    """`xml` with a BPMNDiagram that draws every flow node and sequence flow (a grid)."""
    root = etree.fromstring(xml.encode())
    query = " | ".join(f"//bpmn:{tag}" for tag in FLOW_NODES)
    shapes = [f'<bpmndi:BPMNShape id="{n.get("id")}_di" bpmnElement="{n.get("id")}">'
              f'<dc:Bounds x="{100 + 150 * i}" y="100" width="100" height="80" /></bpmndi:BPMNShape>'
              for i, n in enumerate(root.xpath(query, namespaces=NS))]
    edges = [f'<bpmndi:BPMNEdge id="{f.get("id")}_di" bpmnElement="{f.get("id")}">'
             '<di:waypoint x="0" y="0" /><di:waypoint x="10" y="0" /></bpmndi:BPMNEdge>'
             for f in root.xpath("//bpmn:sequenceFlow", namespaces=NS)]
    di = (f'<bpmndi:BPMNDiagram id="Diagram_{key}"><bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="{key}">'
          + "".join(shapes + edges) + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n")
    return xml.replace("</bpmn:definitions>", di + "</bpmn:definitions>")


def bundle(xml: str, name: str = "test.bpmn", **others: bytes | str) -> list[BundleFile]:
    """A deployment of `xml` plus `others` (file name → content; forms by form key)."""
    files = [BundleFile(name, "bpmn", xml.encode())]
    for other, content in others.items():
        kind = {"dmn": "dmn", "json": "form"}[other.rsplit(".", 1)[1]]
        files.append(BundleFile(other, kind, content.encode() if isinstance(content, str) else content))
    return files


def dmn(decision_id: str, input_expression: str, rules: list[tuple[str, str]], output: str = "result") -> str:
    """One decision table: one input, one output, a rule per (input cell, output cell)."""
    rows = "".join(
        f'<rule id="Rule_{i}"><inputEntry id="In_{i}"><text>{_text(cell)}</text></inputEntry>'
        f'<outputEntry id="Out_{i}"><text>{_text(out)}</text></outputEntry></rule>'
        for i, (cell, out) in enumerate(rules))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Defs_{decision_id}" '
            f'name="决策" namespace="http://camunda.org/schema/1.0/dmn">\n'
            f'<decision id="{decision_id}" name="决策"><decisionTable id="Table_{decision_id}" hitPolicy="UNIQUE">'
            f'<input id="Input_1" label="in"><inputExpression id="InputExpression_1" typeRef="string">'
            f'<text>{_text(input_expression)}</text></inputExpression></input>'
            f'<output id="Output_1" label="out" name="{output}" typeRef="string" />'
            f"{rows}</decisionTable></decision>\n</definitions>\n")


def business_rule_task(task_id: str, decision_id: str) -> str:
    return (f'<bpmn:businessRuleTask id="{task_id}" name="决策"><bpmn:extensionElements>'
            f'<spiffworkflow:calledDecisionId>{decision_id}</spiffworkflow:calledDecisionId>'
            '</bpmn:extensionElements></bpmn:businessRuleTask>')


def _first_id(node: str) -> str:
    found = _ID.search(node)
    assert found, f"node without id: {node[:80]}"
    return found.group(1)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
