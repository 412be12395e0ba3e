"""A deadline's basis as a clerk reads it. A timer's `basis` property is written for clerks
and is shown as written. A timer without one falls back to its documentation, which is
written for designers: it starts with requirement ids, names the kind of timer and the
variables that hold the limits (`transfer_days`, `Script_StatutoryLimits`). The task page
shows that sentence with those replaced by the case's own numbers, or left out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_IDS = re.compile(r"^\s*[A-Z]-[A-Z0-9]+(?:\s*/\s*[A-Z]-[A-Z0-9]+)*\s*[:：]\s*")
_TIMER_KIND = re.compile(r"(?:非中断|中断)?边界定时器[:：，,]\s*")
_ASSIGNED = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_days\s*=\s*(\d+)")  # "check_days = 0": a value given
_LIMIT = re.compile(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)*_days)\b(?:\s*个工作日)?")
# What only a designer can use: the script that sets the limits, the variables holding due
# moments, the files that hold a department's limits.
_TECHNICAL = re.compile(r"调用流程\s*Script_[A-Za-z0-9_]+\s*设定"
                        r"|(?:[，,]\s*)?(?:见\s*)?\bScript_[A-Za-z0-9_]+\b"
                        r"|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_at\b"
                        r"|\b[a-z_]+\.json\s*中?的?")
_EMPTY_PARENS = re.compile(r"[（(]\s*[，,、;；]?\s*[）)]")
_LEADING_COMMA = re.compile(r"([（(])\s*[，,、]\s*")
_SPACES = re.compile(r"[ \t]{2,}")


def readable_basis(text: str | None, data: Mapping[str, Any]) -> str:
    """`text` (a timer's documentation) without requirement ids, timer jargon and variable
    names; a limit variable becomes its value in `data` when the case holds one."""
    if not text:
        return ""
    if not _designers_notation(text):
        return text.strip()  # a basis written for clerks: as written
    out = _TIMER_KIND.sub("", _IDS.sub("", text.strip()))

    def limit(match: re.Match[str]) -> str:
        value, unit = data.get(match.group(1)), match.group(0).endswith("个工作日")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:g} 个工作日" if unit else f"{value:g}"
        return "规定的工作日" if unit else "规定天数"

    out = _LIMIT.sub(limit, _ASSIGNED.sub(r"\1 个工作日", out))
    out = _TECHNICAL.sub("", out)
    out = _LEADING_COMMA.sub(r"\1", out)
    out = _EMPTY_PARENS.sub("", out)
    return _SPACES.sub(" ", out).strip()


def _designers_notation(text: str) -> bool:
    """Whether `text` holds anything only a designer reads (requirement ids, timer kinds,
    limit variables, script names): a timer's documentation rather than its basis."""
    return any(p.search(text) for p in (_IDS, _TIMER_KIND, _ASSIGNED, _LIMIT, _TECHNICAL))
