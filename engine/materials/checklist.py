"""The checklist of materials a case's aid types require (J-ITEMS, J-ONCE), from the
county-editable file materials/checklist.json (its `about` says where each entry comes
from): the materials every application needs, then those of each aid type the case
names, each once, each marked as provided when a material of its kind was uploaded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import DefinitionInvalid

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "materials" / "checklist.json"
OTHER = "other"  # the kind of a material no checklist item names
# Where a case's data names its aid types: the application's ticks, the window's
# acceptance ticks (W-FORM) and the main request (W-MULTI).
AID_TYPE_FIELDS = ("aid_types", "accepted_aid_types", "main_aid_type")


@dataclass
class Item:
    """One required material: its kind, its labels, which aid types ask for it."""

    key: str
    label: str
    label_en: str
    aid_types: list[str] = field(default_factory=list)  # empty: every application
    provided: int = 0  # how many uploaded materials are of this kind

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "label_en": self.label_en, "aid_types": self.aid_types,
                "provided": self.provided}


@dataclass
class Checklist:
    common: list[dict[str, str]]
    aid_types: dict[str, dict[str, Any]]

    def labels(self) -> dict[str, tuple[str, str]]:
        """Every kind's (label, English label), for a material's list row."""
        out = {m["key"]: (m["label"], m.get("label_en", m["label"])) for m in self.common}
        for entry in self.aid_types.values():
            out.update((m["key"], (m["label"], m.get("label_en", m["label"]))) for m in entry["materials"])
        return out

    def kinds(self) -> set[str]:
        return set(self.labels()) | {OTHER}

    def items(self, aid_types: list[str], provided: dict[str, int]) -> list[Item]:
        """The materials `aid_types` require, common ones first, each kind once."""
        out: dict[str, Item] = {}
        for m in self.common:
            out[m["key"]] = Item(m["key"], m["label"], m.get("label_en", m["label"]))
        common = set(out)
        for aid in aid_types:
            for m in self.aid_types.get(aid, {}).get("materials", []):
                item = out.setdefault(m["key"], Item(m["key"], m["label"], m.get("label_en", m["label"])))
                if m["key"] not in common:  # a common material is asked of every application anyway
                    item.aid_types.append(aid)
        for item in out.values():
            item.provided = provided.get(item.key, 0)
        return list(out.values())


def load(path: Path = DEFAULT_PATH) -> Checklist:
    """The checklist file, checked: a county's edit that breaks it is refused by name."""
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
        common = raw["common"]
        aid_types = raw["aid_types"]
        for m in common + [m for entry in aid_types.values() for m in entry["materials"]]:
            if not (isinstance(m.get("key"), str) and isinstance(m.get("label"), str)) or m["key"] == OTHER:
                raise ValueError(f"each material needs a string key (not '{OTHER}') and label: {m}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise DefinitionInvalid(f"materials checklist {path}: {err}", {"file": str(path)}) from err
    return Checklist(common, aid_types)


def case_aid_types(data: dict[str, Any]) -> list[str]:
    """The aid types a case's data names, in the order first named."""
    out: list[str] = []
    for name in AID_TYPE_FIELDS:
        value = data.get(name)
        for aid in (value if isinstance(value, list) else [value]):
            if isinstance(aid, str) and aid and aid not in out:
                out.append(aid)
    return out
