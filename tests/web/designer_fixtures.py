"""A mini process of its own with a routing table and a form of its own (file names unique
per test), for the designer's table and form editors (issue 13)."""

from __future__ import annotations

import re

from engine.definitions.bundle import BundleFile
from tests.engine.helpers import FIXTURES, mini_xml

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_{key}" name="route" \
namespace="http://bpmn.io/schema/dmn">
  <decision id="{key}_route" name="督办去向">
    <decisionTable id="Table_{key}" hitPolicy="UNIQUE">
      <input id="Input_1" label="是否通过"><inputExpression id="InputExpression_1" typeRef="string">\
<text>approved</text></inputExpression></input>
      <output id="Output_1" label="去向" name="route" typeRef="string" />
      <rule id="Rule_yes"><inputEntry id="In_yes"><text>"yes"</text></inputEntry>\
<outputEntry id="Out_yes"><text>"{yes}"</text></outputEntry></rule>
      <rule id="Rule_other"><inputEntry id="In_other"><text>-</text></inputEntry>\
<outputEntry id="Out_other"><text>"window"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def routed_xml(key: str) -> str:
    """The mini diagram under `key`: its review form `<key>/review.json`, its supervision a
    business rule task calling the decision `<key>_route`."""
    xml = mini_xml(key).replace("mini/review.json", f"{key}/review.json")
    return re.sub(r'<bpmn:userTask id="Task_Supervise"(.*?)<bpmn:extensionElements>.*?</bpmn:extensionElements>(.*?)'
                  r"</bpmn:userTask>",
                  rf'<bpmn:businessRuleTask id="Task_Supervise"\1<bpmn:extensionElements>'
                  rf"<spiffworkflow:calledDecisionId>{key}_route</spiffworkflow:calledDecisionId>"
                  r"</bpmn:extensionElements>\2</bpmn:businessRuleTask>",
                  xml, flags=re.S)


def dmn(key: str, yes: str = "leader") -> str:
    """The routing table of `key` (the output of its first rule is `yes`)."""
    return DMN.format(key=key, yes=yes)


def routed_bundle(key: str) -> list[BundleFile]:
    """The diagram, its table and its form, deployable as one bundle."""
    return [BundleFile(f"{key}.bpmn", "bpmn", routed_xml(key).encode()),
            BundleFile(f"{key}/route.dmn", "dmn", dmn(key).encode()),
            BundleFile(f"{key}/review.json", "form", (FIXTURES / "forms/mini/review.json").read_bytes())]
