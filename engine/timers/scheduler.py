"""Fires due timers from the database every second, in a background thread.

Several schedulers may run against one database: each timer is fired by a
version-checked command, so a second attempt is refused and skipped."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from engine.service import Engine

log = logging.getLogger("relief.scheduler")


class TimerScheduler:
    def __init__(self, engine: Engine, interval_seconds: float = 1.0) -> None:
        self.engine = engine
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._scheduler.add_job(self._tick, "interval", seconds=interval_seconds, id="fire-due-timers",
                                max_instances=1, coalesce=True)

    def _tick(self) -> None:
        try:
            fired = self.engine.fire_due_timers()
            if fired:
                log.info("fired %d timer(s)", fired)
        except Exception:  # noqa: BLE001 - the next tick retries; the database holds the truth
            log.exception("firing timers failed")

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        self._scheduler.shutdown(wait=True)
