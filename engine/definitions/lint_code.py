"""Deploy checks of every piece of code a diagram or decision table holds.

Every place SpiffWorkflow or the engine evaluates designer text is listed here, so that
a forbidden construct (`__import__`, `open()`, a `while` loop, ...) is refused at deploy,
naming file, element and line, instead of when a case first reaches it. The list follows
SpiffWorkflow's own evaluation sites (tests/engine/test_expression_sites.py fails when a
SpiffWorkflow upgrade adds one). DMN cells are checked as the expressions SpiffWorkflow's
DMN engine really builds from them (`(input) == (cell)`, `input < 5`, `? in cell`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from engine.definitions.xml_safety import problem
from engine.errors import ReliefError
from engine.scripting import MAX_EXPRESSION_CHARS, check_expression, check_script

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
EVAL, EXEC = "eval", "exec"
# (XPath of the text, what it is, how it runs). The element named is the nearest one with an id.
BPMN_SITES: tuple[tuple[str, str, str], ...] = (
    ("//bpmn:scriptTask/bpmn:script", "script", EXEC),
    ("//spiffworkflow:preScript", "preScript", EXEC),
    ("//spiffworkflow:postScript", "postScript", EXEC),
    ("//bpmn:sequenceFlow/bpmn:conditionExpression", "condition", EVAL),
    ("//bpmn:timerEventDefinition/bpmn:timeDate", "timer expression", EVAL),
    ("//bpmn:timerEventDefinition/bpmn:timeDuration", "timer expression", EVAL),
    ("//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "loopCardinality", EVAL),
    ("//bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "completionCondition", EVAL),
    ("//bpmn:standardLoopCharacteristics/bpmn:loopCondition", "loopCondition", EVAL),
    ("//bpmn:conditionalEventDefinition/bpmn:condition", "conditional event condition", EVAL),
    ("//spiffworkflow:messagePayload", "messagePayload", EVAL),
    ("//spiffworkflow:processVariableCorrelation/spiffworkflow:expression", "correlation expression", EVAL),
    ("//bpmn:correlationPropertyRetrievalExpression/*", "correlation retrieval expression", EVAL),
    ("//spiffworkflow:payloadExpression", "payloadExpression", EVAL),
    ("//spiffworkflow:serviceTaskOperator//spiffworkflow:parameter/@value", "parameter", EVAL),
    ("//spiffworkflow:property[@name='candidateGroupsExpression']/@value", "candidateGroupsExpression", EVAL),
    ("//spiffworkflow:property[@name='preferredAssignee']/@value", "preferredAssignee", EVAL),
    ("//spiffworkflow:property[@name='preferredAssigneeDays']/@value", "preferredAssigneeDays", EVAL),
)
_CHECKS: dict[str, Callable[[str], Any]] = {EVAL: check_expression, EXEC: check_script}
# SpiffWorkflow's DMN engine puts the input value where a cell has `?` (outside quotes)
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


CONTAINERS = frozenset({"definitions", "process", "subProcess", "transaction", "adHocSubProcess"})


def owner(node: etree._Element) -> etree._Element:
    """The flow node, flow, message, ... an expression belongs to: the ancestor that sits
    directly in a process, sub-process or the definitions (event definitions and loop
    characteristics may have ids of their own, which tell a designer less)."""
    parent = node.getparent()
    while parent is not None and etree.QName(parent).localname not in CONTAINERS:
        node, parent = parent, parent.getparent()
    return node


def code_problems(file: str, root: etree._Element) -> list[dict]:
    """Every expression and script of a BPMN document that may not run, named by element."""
    problems = []
    for query, what, mode in BPMN_SITES:
        for found in root.xpath(query, namespaces=NS):
            attribute = isinstance(found, etree._ElementUnicodeResult)
            node = found.getparent() if attribute else found
            text = str(found) if attribute else (node.text or "")
            refused = _refusal(text, mode)
            if refused is not None:
                message, line = refused
                name = f"parameter '{node.get('id')}'" if what == "parameter" else what
                # a script's own line counts from the line its text starts on
                problems.append(problem(file, f"{name} is not allowed: {message}", element=owner(node).get("id"),
                                        line=node.sourceline + (line - 1 if mode == EXEC and line else 0)))
    return problems


def _refusal(text: str, mode: str) -> tuple[str, int | None] | None:
    """Why `text` may not run (and on which of its lines), or None when it may."""
    try:
        _CHECKS[mode](text)
    except ReliefError as err:
        line = err.details.get("line")
        return err.message, line if isinstance(line, int) else None
    return None


def dmn_problems(file: str, root: etree._Element) -> list[dict]:
    """Every cell of every decision table that may not run, named by its entry id."""
    problems: list[dict] = []

    def add(node: etree._Element, message: str) -> None:
        problems.append(problem(file, message, element=node.get("id"), line=node.sourceline))

    for table in root.xpath("//*[local-name()='decisionTable']"):
        inputs = []
        for column in table.xpath("./*[local-name()='input']"):
            text = "".join(column.xpath("./*[local-name()='inputExpression']/*[local-name()='text']/text()"))
            if (refused := _refusal(text, EVAL)) is not None:
                add(column, f"input expression is not allowed: {refused[0]}")
            inputs.append(text)
        for rule in table.xpath("./*[local-name()='rule']"):
            for index, entry in enumerate(rule.xpath("./*[local-name()='inputEntry']")):
                cell = "".join(entry.xpath("./*[local-name()='text']/text()"))
                if index >= len(inputs):
                    add(entry, "the rule has more input cells than the table has inputs")
                    continue
                for expression in _input_cell_expressions(inputs[index], cell):
                    if (refused := _refusal(expression, EVAL)) is not None:
                        add(entry, f"input cell {cell.strip()[:80]!r} is not allowed: {refused[0]}")
                        break
            for entry in rule.xpath("./*[local-name()='outputEntry']"):
                cell = "".join(entry.xpath("./*[local-name()='text']/text()"))
                if cell.strip() and (refused := _refusal(cell, EVAL)) is not None:
                    add(entry, f"output cell is not allowed: {refused[0]}")
    return problems


def _input_cell_expressions(input_expression: str, cell: str) -> Iterator[str]:
    """The expressions SpiffWorkflow's DMNEngine evaluates for one input cell (its rules)."""
    if not cell.strip() or cell.strip() == "-":
        return
    if len(cell) > MAX_EXPRESSION_CHARS:
        yield cell  # refused for its length before any rewriting
        return
    match = _QUESTION.sub("dmninputexpr", cell)
    if "dmninputexpr" in match:
        yield input_expression
        yield match
        return
    try:
        ast.parse(match.strip(), mode="eval")
    except SyntaxError:
        yield input_expression + match  # a cell such as `> 3`
    else:
        yield f"({input_expression}) == ({match})"
