"""The item list (事项清单, J-ITEMS): one JSON file designers edit (workflows/items.json),
read on each use so that an edit shows without a restart, and checked as it is read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.auth import scope
from engine.errors import NotFound, ValidationFailed

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "workflows" / "items.json"
ITEM_FIELDS = ("key", "name", "department", "target_group", "process", "aid_content", "policy_basis")
# `kind`: the material's kind in materials/checklist.json, how an uploaded file is counted
# towards the item's checklist on a case (engine/materials/by_item.py).
MATERIAL_FIELDS = ("name", "kind", "form", "key_points", "common_problems", "wrong_examples")


@dataclass(frozen=True)
class Office:
    """Where applications are taken online: a region and the process (variant) it runs."""

    region: str
    name: str
    process: str
    channel: str  # the start form's value meaning "online" in that variant


@dataclass(frozen=True)
class Item:
    """One aid item with its service guide and the materials applicants bring."""

    key: str
    name: str
    department: str
    target_group: str
    process: str
    aid_content: str
    policy_basis: str
    materials: list[dict[str, str]]
    prefill: dict[str, Any] = field(default_factory=dict)
    # The implementing department's code (workers/departments.json): what a routing table
    # must give for this item's key, unless `routing` says that table deliberately differs.
    department_code: str = ""
    routing: dict[str, str] = field(default_factory=dict)
    regions: list[str] = field(default_factory=list)  # the offices that take it; empty: all

    def expected_route(self, decision: str) -> str:
        """What the routing table `decision` must give for this item's key."""
        return self.routing.get(decision, self.department_code)

    def taken_in(self, region: str) -> bool:
        """Whether the office of `region` takes this item (its start form offers the aid type)."""
        return not self.regions or region in self.regions


@dataclass(frozen=True)
class ItemList:
    items: list[Item]
    offices: list[Office]
    # Routing tables (DMN decision id → the output meaning "no department decided here") the
    # deploy linter holds to this list (engine/definitions/lint_items.py).
    routing_tables: dict[str, str] = field(default_factory=dict)

    def office_for(self, item: Item, region: str) -> Office:
        """The office of `region` if it takes `item` (404 naming `region` otherwise)."""
        office = self.office(region)
        if not item.taken_in(region):
            raise NotFound(f"aid item '{item.key}' is not taken online in region '{region}'", {"region": region})
        return office

    def offices_for(self, item: Item) -> list[Office]:
        """The offices that take `item` online."""
        return [o for o in self.offices if item.taken_in(o.region)]

    def item(self, key: str) -> Item:
        """The item `key` (404 naming `item` when there is none)."""
        for it in self.items:
            if it.key == key:
                return it
        raise NotFound(f"no aid item '{key}'", {"item": key})

    def office(self, region: str) -> Office:
        """The office of `region` (404 naming `region` when applications are not taken there)."""
        for office in self.offices:
            if office.region == region:
                return office
        raise NotFound(f"no online office for region '{region}'", {"region": region})


def _text(entry: dict[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{where}: '{name}' must be a non-empty text", {"fields": {name: [where]}})
    return value


def _texts(entry: dict[str, Any], name: str, where: str) -> dict[str, str]:
    value = entry.get(name, {})
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValidationFailed(f"{where}: '{name}' must be an object of texts", {"fields": {name: [where]}})
    return value


def load(path: Path = DEFAULT_PATH) -> ItemList:
    """The item list in `path`; a missing field names the item and the field (422)."""
    raw = json.loads(Path(path).read_text("utf-8"))
    tables = {}
    for decision, entry in raw.get("routing_tables", {}).items():
        where = f"routing_tables.{decision}"
        if not isinstance(entry, dict) or not isinstance(entry.get("undetermined"), str):
            raise ValidationFailed(f"{where}: 'undetermined' must be a text", {"fields": {"undetermined": [where]}})
        tables[decision] = entry["undetermined"]
    offices = []
    for n, o in enumerate(raw.get("offices", [])):
        where = f"offices[{n}]"
        offices.append(Office(scope.valid_region(_text(o, "region", where)) or "", _text(o, "name", where),
                              _text(o, "process", where), _text(o, "channel", where)))
    items = []
    for n, it in enumerate(raw.get("items", [])):
        where = f"items[{n}]"
        texts = {name: _text(it, name, where) for name in ITEM_FIELDS}
        materials = [{name: _text(m, name, f"{where}.materials[{i}]") for name in MATERIAL_FIELDS}
                     for i, m in enumerate(it.get("materials", []))]
        for i, m in enumerate(it.get("materials", [])):
            if "kind" in m:  # optional: the checklist kind an applicant uploads it as
                materials[i]["kind"] = _text(m, "kind", f"{where}.materials[{i}]")
        prefill = it.get("prefill", {})
        if not isinstance(prefill, dict):
            raise ValidationFailed(f"{where}: 'prefill' must be an object", {"fields": {"prefill": [where]}})
        regions = it.get("regions", [])
        if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
            raise ValidationFailed(f"{where}: 'regions' must be a list of region codes",
                                   {"fields": {"regions": [where]}})
        items.append(Item(materials=materials, prefill=prefill, department_code=_text(it, "department_code", where),
                          routing=_texts(it, "routing", where), regions=regions, **texts))
    return ItemList(items, offices, tables)
