"""Saved simulation scenarios (issue 13): what one case brings and meets, and the outcome
the process must give it. Re-run on a draft before it is deployed, they are the designer's
regression checks: a change that sends the case elsewhere, or moves a deadline, fails one.

A scenario (JSON, checked here when saved):
    start       the moment the case starts ("2026-09-29T10:00", Beijing time when no zone)
    data        the case's start data (object)
    task_data   per element id: what its person enters or its worker answers (object)
    late        elements (people's tasks) left undone until their deadline fires: the clock
                moves on to it (list of ids)
    messages    what department systems and applicants send when the case waits for it:
                [{name, payload, at | after_hours}] (engine/definitions/simulate.py)
The expected outcome (all optional, at least one):
    end         the end event the case reaches (it must finish there)
    path        element ids the case passes, in this order (others may lie between)
    finished    whether the case finishes (false: it stops waiting, e.g. for a message)
    deadlines   per timer element id: {outcome: met | missed | waited, due_at: moment}
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from engine.calendar import SHANGHAI
from engine.definitions.simulate import Message, Simulation
from engine.errors import ValidationFailed

MAX_SCENARIO = 64 * 1024  # characters of a scenario and of its expected outcome, as JSON
MAX_NAME = 120
OUTCOMES = ("met", "missed", "waited", "waiting")


@dataclass
class Scenario:
    """A scenario ready to run."""

    start: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)
    task_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    late: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


def _bad(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {message}", {"fields": {name: [message]}})


def _moment(value: Any, name: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad(name, "a date and time, YYYY-MM-DDTHH:MM") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _ids(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value) or len(value) > 200:
        raise _bad(name, "a list of element ids")
    return list(value)


def _size(value: Any, name: str) -> None:
    if len(json.dumps(value, ensure_ascii=False, default=str)) > MAX_SCENARIO:
        raise _bad(name, f"at most {MAX_SCENARIO // 1024} KB")


def check_name(name: Any) -> str:
    """A scenario's name: 1 to 120 characters, not only spaces."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise _bad("name", f"a name of 1 to {MAX_NAME} characters")
    return name.strip()


def parse_scenario(raw: Any) -> Scenario:
    """The scenario `raw` (JSON object) ready to run; 422 naming the field at fault."""
    if not isinstance(raw, dict):
        raise _bad("scenario", "a JSON object")
    _size(raw, "scenario")
    unknown = set(raw) - {"start", "data", "task_data", "late", "messages"}
    if unknown:
        raise _bad("scenario", f"unknown fields: {', '.join(sorted(unknown))}")
    data, task_data = raw.get("data", {}), raw.get("task_data", {})
    if not isinstance(data, dict):
        raise _bad("scenario.data", "a JSON object")
    if not isinstance(task_data, dict) or not all(isinstance(v, dict) for v in task_data.values()):
        raise _bad("scenario.task_data", "an object of element id → object")
    messages = raw.get("messages", [])
    if not isinstance(messages, list) or len(messages) > 100:
        raise _bad("scenario.messages", "a list of at most 100 messages")
    return Scenario(_moment(raw.get("start", ""), "scenario.start"), data, task_data,
                    _ids(raw.get("late", []), "scenario.late"),
                    [_message(m, f"scenario.messages[{i}]") for i, m in enumerate(messages)])


def _message(raw: Any, where: str) -> Message:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise _bad(where, "an object with the message's name")
    payload = raw.get("payload", {})
    if not isinstance(payload, dict):
        raise _bad(f"{where}.payload", "a JSON object")
    at = _moment(raw["at"], f"{where}.at") if raw.get("at") is not None else None
    hours = raw.get("after_hours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float)
                              or not 0 <= hours <= 24 * 366):
        raise _bad(f"{where}.after_hours", "a number of hours from 0 to a year")
    return Message(raw["name"].strip(), payload, at, hours)


def parse_expected(raw: Any) -> dict[str, Any]:
    """The expected outcome `raw`, checked; 422 naming the field at fault."""
    if not isinstance(raw, dict) or not raw:
        raise _bad("expected", "an object with at least one of end, path, finished, deadlines")
    _size(raw, "expected")
    unknown = set(raw) - {"end", "path", "finished", "deadlines"}
    if unknown:
        raise _bad("expected", f"unknown fields: {', '.join(sorted(unknown))}")
    if "end" in raw and (not isinstance(raw["end"], str) or not raw["end"]):
        raise _bad("expected.end", "an end event's id")
    if "path" in raw:
        _ids(raw["path"], "expected.path")
    if "finished" in raw and not isinstance(raw["finished"], bool):
        raise _bad("expected.finished", "true or false")
    deadlines = raw.get("deadlines", {})
    if not isinstance(deadlines, dict):
        raise _bad("expected.deadlines", "an object of timer id → {outcome, due_at}")
    for element, want in deadlines.items():
        where = f"expected.deadlines.{element}"
        if not isinstance(want, dict) or not want or set(want) - {"outcome", "due_at"}:
            raise _bad(where, "an object with outcome and/or due_at")
        if "outcome" in want and want["outcome"] not in OUTCOMES:
            raise _bad(f"{where}.outcome", f"one of {', '.join(OUTCOMES)}")
        if "due_at" in want:
            _moment(want["due_at"], f"{where}.due_at")
    return raw


def failures(result: Simulation, expected: dict[str, Any]) -> list[dict[str, Any]]:
    """How `result` differs from `expected`: one entry per difference, naming what was
    expected and what happened ({check, element?, expected, actual}); empty when it passes."""
    out: list[dict[str, Any]] = []
    path = [s.element for s in result.steps]
    if result.error is not None:
        out.append({"check": "error", "element": result.error.get("element"), "expected": None,
                    "actual": result.error.get("message")})
    if "finished" in expected and result.finished != expected["finished"]:
        out.append({"check": "finished", "expected": expected["finished"], "actual": result.finished,
                    "waiting_for": result.waiting_for})
    if "end" in expected:
        actual = path[-1] if result.finished and path else None
        if actual != expected["end"]:
            out.append({"check": "end", "expected": expected["end"], "actual": actual,
                        "waiting_for": result.waiting_for})
    if "path" in expected:
        rest = iter(path)
        missing = [e for e in expected["path"] if not any(p == e for p in rest)]
        if missing:
            out.append({"check": "path", "element": missing[0], "expected": expected["path"], "actual": path})
    by_element = {d.element: d for d in result.deadlines}
    for element, want in expected.get("deadlines", {}).items():
        got = by_element.get(element)
        if got is None:
            out.append({"check": "deadline", "element": element, "expected": want, "actual": None})
            continue
        if "outcome" in want and got.outcome != want["outcome"]:
            out.append({"check": "deadline_outcome", "element": element, "expected": want["outcome"],
                        "actual": got.outcome})
        if "due_at" in want and got.due_at != _moment(want["due_at"], "due_at"):
            out.append({"check": "deadline_due", "element": element, "expected": want["due_at"],
                        "actual": got.due_at.astimezone(SHANGHAI).isoformat()})
    return out
