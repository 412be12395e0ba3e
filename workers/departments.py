"""The departments that take dispatched cases, from one file (J-DEPTS, W-ROUTE).

`workers/departments.json` by default; `RELIEF_DEPARTMENTS_FILE` points elsewhere.
Per department: `name`, `mode` (`worklist`: its staff work in our task list;
`webhook`: its own system gets a signed JSON POST at `url` and answers later through
`POST /api/v1/messages`, signed with the secret in the environment variable
`secret_env`). A webhook department may set `handling_days`: the statutory handling limit in
working days that its system has to answer within (1–90, the bounds of the worklist intake
form); `common_department_handling` supervises the wait against it, 20 when not set."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).with_name("departments.json")
MODES = ("worklist", "webhook")
HANDLING_DAYS = range(1, 91)  # as the worklist intake form allows (forms/common/department_intake.json)


def departments_file() -> Path:
    return Path(os.environ.get("RELIEF_DEPARTMENTS_FILE") or DEFAULT_FILE)


def departments() -> dict[str, dict[str, Any]]:
    """Department code → its configuration."""
    path = departments_file()
    return _load(str(path), path.stat().st_mtime_ns)


@cache
def _load(path: str, _mtime: int) -> dict[str, dict[str, Any]]:
    raw = json.loads(Path(path).read_text("utf-8"))
    out = {k: v for k, v in raw.items() if not k.startswith("_")}
    for code, dept in out.items():
        if dept.get("mode") not in MODES:
            raise ValueError(f"{path}: department '{code}' has mode '{dept.get('mode')}', not one of {MODES}")
        if dept["mode"] == "webhook" and not (dept.get("url") and dept.get("secret_env")):
            raise ValueError(f"{path}: webhook department '{code}' needs 'url' and 'secret_env'")
        days = dept.get("handling_days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days not in HANDLING_DAYS):
            raise ValueError(f"{path}: department '{code}' has handling_days {days!r}, not a whole number of "
                             f"working days from {HANDLING_DAYS.start} to {HANDLING_DAYS.stop - 1}")
    return out


def department_secret(code: str) -> str | None:
    """The shared HMAC secret of a webhook department (None when none is configured)."""
    dept = departments().get(code)
    if not dept or dept.get("mode") != "webhook":
        return None
    return os.environ.get(dept["secret_env"]) or None


def hotline_secret() -> str | None:
    """The shared HMAC secret of the 12345 platform (RELIEF_HOTLINE_SECRET)."""
    return os.environ.get("RELIEF_HOTLINE_SECRET") or None


def sender_secret(sender: str) -> str | None:
    """The secret of a signing sender: `12345` or `dept:<code>`."""
    if sender == "12345":
        return hotline_secret()
    if sender.startswith("dept:"):
        return department_secret(sender[len("dept:"):])
    return None
