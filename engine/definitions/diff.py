"""What changed between two versions of a diagram (issue 13): elements added, removed and
changed, by id and name, and sequence flows whose ends or condition changed.

Compared is what the engine runs, not the drawing: moving a shape changes nothing here."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.definitions.lint import NS
from engine.definitions.xml_safety import parse_xml

BPMN = NS["bpmn"]
# Children that describe an element's behaviour; the rest (incoming/outgoing refs) follow
# from the flows, which are compared themselves.
_SKIP_CHILDREN = {"incoming", "outgoing", "flowNodeRef"}
_SKIP_ATTRIBUTES = {"id", "name"}
# Elements compared are those standing in a process, sub-process or lane set (an event's
# timer definition is part of its event, not an element of its own).
_CONTAINERS = {"process", "subProcess", "laneSet", "transaction", "adHocSubProcess"}
# What `changes` may name: kind, name, source, target, condition, attributes, definition.


@dataclass
class Change:
    element: str
    kind: str  # the BPMN element type (localname), of the newer version when it changed
    name: str
    change: str  # added | removed | changed
    what: list[str] = field(default_factory=list)  # for "changed": which aspects
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)


@dataclass
class _Element:
    kind: str
    name: str
    source: str
    target: str
    condition: str
    attributes: str
    definition: str


def _canonical(node: etree._Element) -> str:
    """A stable text of an element's behaviour: its children except refs, whitespace-trimmed."""
    parts = []
    for child in node:
        if not isinstance(child.tag, str) or etree.QName(child).localname in _SKIP_CHILDREN:
            continue
        if etree.QName(child).localname == "conditionExpression":
            continue
        parts.append(etree.tostring(child, method="c14n").decode())
    return " ".join(" ".join(p.split()) for p in parts)


def elements(root: etree._Element) -> dict[str, _Element]:
    """Every element with an id inside the processes (flow nodes, flows, lanes, data)."""
    found: dict[str, _Element] = {}
    for process in root.xpath("//bpmn:process", namespaces=NS):
        for node in process.iter(f"{{{BPMN}}}*"):
            ident = node.get("id")
            parent = node.getparent()
            if not ident or node is process or etree.QName(parent).localname not in _CONTAINERS:
                continue
            kind = etree.QName(node).localname
            condition = node.xpath("string(./bpmn:conditionExpression)", namespaces=NS).strip()
            attributes = " ".join(f"{k}={v}" for k, v in sorted(node.attrib.items())
                                  if etree.QName(k).localname not in _SKIP_ATTRIBUTES
                                  and k not in ("sourceRef", "targetRef"))
            found[ident] = _Element(kind, (node.get("name") or "").strip(), node.get("sourceRef", ""),
                                    node.get("targetRef", ""), condition, attributes,
                                    "" if kind in ("subProcess", "laneSet", "lane") else _canonical(node))
    return found


def diff_roots(old: etree._Element, new: etree._Element) -> list[Change]:
    """The changes from `old` to `new`, removed first, then changed, then added (by id)."""
    before, after = elements(old), elements(new)
    out: list[Change] = []
    for ident in sorted(set(before) - set(after)):
        e = before[ident]
        out.append(Change(ident, e.kind, e.name, "removed"))
    for ident in sorted(set(before) & set(after)):
        a, b = before[ident], after[ident]
        what = [aspect for aspect in ("kind", "name", "source", "target", "condition", "attributes", "definition")
                if getattr(a, aspect) != getattr(b, aspect)]
        if what:
            out.append(Change(ident, b.kind, b.name or a.name, "changed", what,
                              {w: getattr(a, w) for w in what}, {w: getattr(b, w) for w in what}))
    for ident in sorted(set(after) - set(before)):
        e = after[ident]
        out.append(Change(ident, e.kind, e.name, "added"))
    return out


def diff_xml(old: bytes, new: bytes) -> list[Change]:
    """`diff_roots` of two BPMN documents, each parsed with the safe parser."""
    return diff_roots(parse_xml(old, "old.bpmn"), parse_xml(new, "new.bpmn"))
