"""The materials checklist of a case per aid item applied for (J-ITEMS, DB32/T 4012-2021
6.1.3.2): for each aid type the case names that the item list (workflows/items.json) has,
the item's materials with how staff review them (form, key points, common problems, wrong
examples), each counted as provided when a material of its kind was uploaded, and the item
complete when every one of its materials is. A material two items ask for (the ID card)
counts for both: the applicant brings it once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.portal.items import ItemList


@dataclass
class ItemMaterial:
    """One material an item asks for, with its review guidance and how many were uploaded."""

    kind: str
    name: str
    form: str
    key_points: str
    common_problems: str
    wrong_examples: str
    provided: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ItemChecklist:
    """The checklist of one aid item on a case."""

    key: str
    name: str
    department: str
    materials: list[ItemMaterial] = field(default_factory=list)

    @property
    def provided_count(self) -> int:
        return sum(1 for m in self.materials if m.provided)

    @property
    def complete(self) -> bool:
        """Every material of the item has been uploaded at least once."""
        return self.provided_count == len(self.materials)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "department": self.department, "complete": self.complete,
                "provided": self.provided_count, "required": len(self.materials),
                "materials": [m.as_dict() for m in self.materials]}


def by_item(listing: ItemList, aid_types: list[str], provided: dict[str, int]) -> list[ItemChecklist]:
    """The checklists of the items `aid_types` name, in the order named; `provided`: how many
    uploaded materials there are of each kind. An aid type without an item has none here
    (the flat checklist, engine/materials/checklist.py, still lists its materials)."""
    known = {it.key: it for it in listing.items}
    out = []
    for aid in aid_types:
        item = known.get(aid)
        if item is None:
            continue
        out.append(ItemChecklist(item.key, item.name, item.department, [
            ItemMaterial(m["kind"], m["name"], m["form"], m["key_points"], m["common_problems"],
                         m["wrong_examples"], provided.get(m["kind"], 0)) for m in item.materials]))
    return out
