"""What changed in the routing tables and forms between two versions of a process (issue 13):
a table's rules and columns by id, a form's fields by key (or id), each added, removed or
changed with its before and after in words a designer reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.definitions.xml_safety import parse_xml

MAX_TEXT = 200


@dataclass(frozen=True)
class FileChange:
    """One row, column or field of a table or form that differs between two versions."""

    file: str
    kind: str  # dmn | form
    part: str  # rule | input | output | field | file
    ident: str
    change: str  # added | removed | changed
    before: str = ""
    after: str = ""
    label: str = field(default="")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _dmn_parts(content: bytes, name: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(part, id) → (label, text) of each rule, input and output of a DMN file."""
    root = parse_xml(content, name)
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for table in root.xpath("//*[local-name()='decisionTable']"):
        for node in table.xpath("*[local-name()='input']"):
            expr = "".join(node.xpath("*[local-name()='inputExpression']/*[local-name()='text']/text()")).strip()
            out[("input", node.get("id", ""))] = (node.get("label", ""), expr)
        for node in table.xpath("*[local-name()='output']"):
            out[("output", node.get("id", ""))] = (node.get("label", ""), node.get("name", ""))
        for i, rule in enumerate(table.xpath("*[local-name()='rule']"), 1):
            cells = [("".join(c.xpath("*[local-name()='text']/text()")).strip() or "-")
                     for c in rule.xpath("*[local-name()='inputEntry' or local-name()='outputEntry']")]
            note = "".join(rule.xpath("*[local-name()='description']/text()")).strip()
            out[("rule", rule.get("id") or f"#{i}")] = (note, " | ".join(cells))
    return out


def _form_parts(content: bytes) -> dict[tuple[str, str], tuple[str, str]]:
    """('field', key) → (label, canonical JSON) of each component of a form, nested too."""
    out: dict[tuple[str, str], tuple[str, str]] = {}

    def walk(components: Any) -> None:
        for i, c in enumerate(components if isinstance(components, list) else []):
            if not isinstance(c, dict):
                continue
            ident = c.get("key") or c.get("id") or f"{c.get('type', '?')}#{i}"
            shown = {k: v for k, v in c.items() if k not in ("components", "layout")}
            out[("field", str(ident))] = (str(c.get("label") or c.get("text") or "")[:80],
                                          json.dumps(shown, ensure_ascii=False, sort_keys=True))
            walk(c.get("components"))

    try:
        walk(json.loads(content).get("components"))
    except (ValueError, AttributeError, RecursionError):
        out[("file", "")] = ("", content.decode("utf-8", errors="replace"))
    return out


def diff_files(old: dict[str, tuple[str, bytes]], new: dict[str, tuple[str, bytes]]) -> list[FileChange]:
    """Each table or form (name → (kind, content)) added, removed or changed, and in the
    changed ones each rule, column or field added, removed or changed."""
    changes: list[FileChange] = []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            kind = (new.get(name) or old[name])[0]
            changes.append(FileChange(name, kind, "file", name, "added" if name in new else "removed"))
            continue
        (kind, before), (_, after) = old[name], new[name]
        if before == after:
            continue
        parts = ((_dmn_parts(before, name), _dmn_parts(after, name)) if kind == "dmn"
                 else (_form_parts(before), _form_parts(after)))
        a, b = parts
        for key in sorted(set(a) | set(b), key=lambda k: (k[0], k[1])):
            if key in a and key in b and a[key] == b[key]:
                continue
            change = "added" if key not in a else "removed" if key not in b else "changed"
            label = (b.get(key) or a.get(key) or ("", ""))[0]
            changes.append(FileChange(name, kind, key[0], key[1], change, _clip(a.get(key, ("", ""))[1]),
                                      _clip(b.get(key, ("", ""))[1]), label))
    return changes
