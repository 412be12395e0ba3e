"""The item list and the routing tables agree (J-ITEMS, issue 14): a deploy whose aid-type →
department table (a DMN decision the item list names in `routing_tables`) disagrees with
workflows/items.json is refused, each problem naming the table's file and rule (or the
item list's item) at fault:

- a row for an aid type the item list has no item for (applicants could not be told what
  to bring, the portal could not offer it);
- an item whose implementing department (`department_code`, or the item's `routing` entry
  for that table where a region deliberately differs) is not what the table gives;
- a row the linter cannot read as one aid type (a table it holds to the list must say,
  row by row, which aid type goes where).

Tables the item list does not name (a designer's own decisions) are not checked."""

from __future__ import annotations

import ast

from lxml import etree

from engine.definitions.xml_safety import problem
from engine.portal.items import ItemList

ANY = "-"  # a cell that matches every value
ITEMS_FILE = "workflows/items.json"


def _cell(node: etree._Element, tag: str) -> str:
    return "".join(node.xpath(f"./*[local-name()='{tag}']/*[local-name()='text']/text()")).strip()


def _literal(text: str) -> str | None:
    """The string a cell names (`"dibao"` → dibao), or None when it is not one literal text."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def item_problems(file: str, root: etree._Element, listing: ItemList) -> list[dict]:
    """The disagreements between the DMN document `root` (named `file`) and `listing`."""
    problems: list[dict] = []
    for decision in root.xpath("//*[local-name()='decision']"):
        decision_id = decision.get("id")
        if decision_id not in listing.routing_tables:
            continue
        problems += _table_problems(file, decision, decision_id, listing)
    return problems


def _table_problems(file: str, decision: etree._Element, decision_id: str, listing: ItemList) -> list[dict]:
    problems: list[dict] = []

    def add(node: etree._Element, message: str) -> None:
        problems.append(problem(file, message, element=node.get("id"), line=node.sourceline))

    tables = decision.xpath("./*[local-name()='decisionTable']")
    if len(tables) != 1 or len(tables[0].xpath("./*[local-name()='input']")) != 1:
        add(decision, f"routing table '{decision_id}' must be one decision table with one input (the aid type), "
                      f"so that {ITEMS_FILE} can be checked against it")
        return problems
    keys = {it.key for it in listing.items}
    routed: dict[str, tuple[etree._Element, str]] = {}  # aid type → (its rule, the department given)
    fallback: tuple[etree._Element, str] | None = None
    for rule in tables[0].xpath("./*[local-name()='rule']"):
        given, output = _cell(rule, "inputEntry"), _literal(_cell(rule, "outputEntry"))
        if output is None:
            add(rule, "the output must be one quoted department code, so that the item list can be checked")
            continue
        if given in (ANY, ""):
            fallback = fallback or (rule, output)
            continue
        aid = _literal(given)
        if aid is None:
            add(rule, f"the input {given[:60]!r} must name one aid type (a quoted text) or be '-'")
        elif aid not in keys:
            add(rule, f"aid type '{aid}' has no item in {ITEMS_FILE}: add the item (name, department, materials) "
                      "or remove the row")
        else:
            routed.setdefault(aid, (rule, output))
    for item in listing.items:
        expected = item.expected_route(decision_id)
        rule, output = routed.get(item.key) or fallback or (decision, None)
        if output == expected:
            continue
        shown = "no department" if output is None else repr(output)
        source = f"rule {rule.get('id')}" if item.key in routed else "no row of its own (the fallback row)" \
            if fallback else "no row"
        add(rule, f"item '{item.key}' ({item.name}) is implemented by '{expected}' per {ITEMS_FILE}, but "
                  f"table '{decision_id}' gives {shown} ({source})")
    return problems
