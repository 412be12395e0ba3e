"""The executor with the engine's calendar installed around every command, so timer
expressions count working days with this database's overrides (X-TIMERS)."""

from __future__ import annotations

from typing import Any

from engine.calendar.active import using
from engine.calendar.store import DatabaseCalendar
from engine.clock import Clock
from engine.definitions.repository import SpecCache
from engine.runtime.context import Command
from engine.runtime.executor import Executor
from engine.store.db import Database


class CalendarExecutor(Executor):
    """`Executor.run` inside `using(calendar)`; nothing else changes."""

    def __init__(self, db: Database, specs: SpecCache, clock: Clock, calendar: DatabaseCalendar) -> None:
        super().__init__(db, specs, clock)
        self.calendar = calendar

    def run(self, command: Command, actor: str) -> Any:
        """Execute `command` as `actor` with the database's calendar."""
        with using(self.calendar):
            return super().run(command, actor)
