"""What else changes, in the same transaction, when a case ends: hooks other parts of the
engine register (the portal closes the complaint or rating a complaint case handled,
engine/portal/closing.py). The runtime knows no portal; the portal knows the runtime.

A case ends when its workflow completes (status `completed`, or `error` when it ended
unsuccessfully: a cancel end event) or when a command ends it (`cancelled`): the hooks run
for each, told which (issue: a cancelled complaint case left its row open)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from engine.store.models import Instance

Hook = Callable[[Session, Instance, str, dict[str, Any], dt.datetime], None]
HOOKS: list[Hook] = []


def register(hook: Hook) -> Hook:
    """Run `hook(session, case row, its final status, final case data, now)` whenever a case ends."""
    if hook not in HOOKS:
        HOOKS.append(hook)
    return hook


def case_ended(session: Session, row: Instance, status: str, data: dict[str, Any], now: dt.datetime) -> None:
    """Run every registered hook for `row`, which has just ended with `status`."""
    for hook in HOOKS:
        hook(session, row, status, data, now)
