"""A case's summary for the task lists, kept on its instance row from the case data:
how the application came in (`channel`), whether the applicant is a green-channel person
(J-GREEN: `priority_group` other than "none") and the applicant's name (text search).
Written by the executor with every command that changed the workflow (one UPDATE it
makes anyway), so the lists filter and sort in SQL without reading case state."""

from __future__ import annotations

from typing import Any

MAX_CHANNEL, MAX_NAME = 20, 120


def of(data: dict[str, Any]) -> dict[str, Any]:
    """The summary columns the data decides (a key the data lacks is left as it was)."""
    out: dict[str, Any] = {}
    channel = data.get("channel")
    if isinstance(channel, str) and channel:
        out["channel"] = channel[:MAX_CHANNEL]
    if "priority_group" in data:
        group = data["priority_group"]
        out["green"] = bool(group) and group != "none"
    name = data.get("applicant_name")
    if isinstance(name, str) and name.strip():
        out["applicant_name"] = name.strip()[:MAX_NAME]
    return out


def changed(row: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The summary values that differ from what `row` (an Instance) holds."""
    return {k: v for k, v in of(data).items() if getattr(row, k) != v}
