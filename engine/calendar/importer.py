"""Read a year's State Council arrangement from CSV or YAML (`relief calendar import`).

CSV: a header `date,kind[,note]`, one line per holiday or make-up working day.
YAML: `{year, source, holidays: [date | {date, note}], workdays: [...]}`.
Every date must fall in the one year the file is about."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import yaml

from engine.errors import ValidationFailed

KINDS = ("holiday", "workday")


@dataclass(frozen=True)
class ArrangementDay:
    day: dt.date
    kind: str  # holiday | workday
    note: str = ""


@dataclass(frozen=True)
class Arrangement:
    year: int
    days: list[ArrangementDay]
    source: str = ""


def _problem(message: str, where: str) -> ValidationFailed:
    return ValidationFailed(f"{where}: {message}", {"fields": {"file": [f"{where}: {message}"]}})


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _problem(f"'{value}' is not a date (YYYY-MM-DD)", where) from None


def parse(text: str, filename: str = "", source: str = "") -> Arrangement:
    """Parse a CSV or YAML arrangement (by extension, else by content)."""
    name = filename.lower()
    if name.endswith((".yaml", ".yml")) or (not name.endswith(".csv") and text.lstrip().startswith(("year", "{"))):
        return _from_yaml(text, source)
    return _from_csv(text, source)


def _from_csv(text: str, source: str) -> Arrangement:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if not reader.fieldnames or not {"date", "kind"} <= {f.strip() for f in reader.fieldnames}:
            raise _problem("the first line must be the header 'date,kind,note'", "line 1")
        days = []
        for i, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            kind = row.get("kind", "")
            if kind not in KINDS:
                raise _problem(f"kind must be holiday or workday, not '{kind}'", f"line {i}")
            days.append(ArrangementDay(_date(row.get("date"), f"line {i}"), kind, row.get("note", "")))
    except csv.Error as err:
        raise _problem(f"not valid CSV: {err}", f"line {reader.line_num}") from None
    return _checked(days, None, source)


def _from_yaml(text: str, source: str) -> Arrangement:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise _problem(f"not valid YAML: {err}", "file") from None
    except ValueError as err:  # YAML reads 2027-13-01 as a date and fails
        raise _problem(f"not a date (YYYY-MM-DD): {err}", "file") from None
    except RecursionError:  # the YAML parser recurses once per level of nesting
        raise _problem("nested too deeply", "file") from None
    if not isinstance(doc, dict):
        raise _problem("expected a mapping with year, holidays and workdays", "file")
    days = []
    for kind, key in (("holiday", "holidays"), ("workday", "workdays")):
        for i, item in enumerate(doc.get(key) or []):
            where = f"{key}[{i}]"
            if isinstance(item, dict):
                days.append(ArrangementDay(_date(item.get("date"), where), kind, str(item.get("note") or "")))
            else:
                days.append(ArrangementDay(_date(item, where), kind))
    year = doc.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        raise _problem(f"year must be a number, not '{year}'", "year")
    return _checked(days, year, source or str(doc.get("source") or ""))


def _checked(days: list[ArrangementDay], year: int | None, source: str) -> Arrangement:
    if not days:
        raise _problem("the arrangement lists no days", "file")
    years = {d.day.year for d in days} | ({year} if year else set())
    if len(years) != 1:
        raise _problem(f"an arrangement covers one year; this one has {sorted(years)}", "file")
    seen: dict[dt.date, str] = {}
    for d in days:
        if seen.setdefault(d.day, d.kind) != d.kind:
            raise _problem(f"{d.day} is listed as both holiday and workday", str(d.day))
    return Arrangement(years.pop(), days, source)
