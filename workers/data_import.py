"""`relief data import FILE.csv`: load the local data platform (T-ID, T-DEDUP).

Two kinds of file, told apart by their header:
- household registry: id_number, household_id, name, relation, income_monthly, assets,
  medical_insurance, disability (a member already known is updated);
- aid already granted: id_number, aid_type, since, until, source.
The whole file is checked first; one bad line and nothing is stored."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from engine import records
from engine.errors import ValidationFailed
from engine.store.db import Database
from engine.store.records import AidGrant

REGISTRY = ["id_number", "household_id", "name", "relation", "income_monthly", "assets", "medical_insurance",
            "disability"]
GRANTS = ["id_number", "aid_type", "since", "until", "source"]
_ID = re.compile(r"^\d{17}[\dX]$")


def _kind(header: list[str]) -> str:
    cols = {h.strip() for h in header}
    if set(REGISTRY[:4]) <= cols:
        return "registry"
    if set(GRANTS[:3]) <= cols:
        return "grants"
    raise ValidationFailed("the CSV header fits neither file kind",
                           {"fields": {"header": [f"registry needs {', '.join(REGISTRY[:4])}; "
                                                  f"granted aid needs {', '.join(GRANTS[:3])}"]}})


def _number(value: str, name: str, problems: list[str]) -> float:
    try:
        return float(value or 0)
    except ValueError:
        problems.append(f"{name} is not a number: '{value}'")
        return 0.0


def _date(value: str, name: str, problems: list[str], required: bool) -> dt.date | None:
    if not value:
        if required:
            problems.append(f"{name} is required")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name} is not a date YYYY-MM-DD: '{value}'")
        return None


def parse(text: str) -> tuple[str, list[dict[str, Any]]]:
    """(kind, rows) of a CSV text; ValidationFailed naming every bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    kind = _kind(reader.fieldnames or [])
    rows, errors = [], {}
    for line, raw in enumerate(reader, start=2):
        rec = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        problems: list[str] = []
        rec["id_number"] = rec.get("id_number", "").upper()
        if not _ID.match(rec["id_number"]):
            problems.append(f"id_number must be 18 characters (17 digits and a digit or X): '{rec['id_number']}'")
        if kind == "registry":
            for name in ("household_id", "name", "relation"):
                if not rec.get(name):
                    problems.append(f"{name} is required")
            out: dict[str, Any] = {k: rec.get(k) or None for k in REGISTRY}
            out["income_monthly"] = _number(rec.get("income_monthly", ""), "income_monthly", problems)
            out["assets"] = _number(rec.get("assets", ""), "assets", problems)
        else:
            if not rec.get("aid_type"):
                problems.append("aid_type is required")
            out = {"id_number": rec["id_number"], "aid_type": rec.get("aid_type"),
                   "since": _date(rec.get("since", ""), "since", problems, True),
                   "until": _date(rec.get("until", ""), "until", problems, False), "source": rec.get("source", "")}
        if problems:
            errors[f"line {line}"] = problems
        rows.append(out)
    if errors:
        raise ValidationFailed(f"{len(errors)} line(s) of the CSV are wrong; nothing was imported",
                               {"fields": errors})
    return kind, rows


def import_file(db: Database, path: Path) -> tuple[str, int]:
    """Import one CSV file in one transaction: (kind, number of rows)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValidationFailed(f"cannot read {path}: {err}", {"fields": {"file": [str(err)]}}) from err
    kind, rows = parse(text)
    with db.session() as s:
        for r in rows:
            if kind == "registry":
                records.put_household_member(s, r)
                s.flush()  # the same number twice in one file: the later line wins
            else:
                s.add(AidGrant(**r))
    return kind, len(rows)
