"""Fires due timers on time; the database is the source of truth (X-TIMERS).

APScheduler keeps one date job at the next due time (read from the database), so a
timer fires within moments of falling due rather than at the next poll. A watch job
re-reads that time every second (timers made by other processes, a moved demo clock)
and a slower safety sweep fires whatever is due regardless. After downtime the first
round fires every overdue timer once, oldest first; FireTimer audits how late.

Several schedulers may run against one PostgreSQL database: each timer is claimed with
FOR UPDATE SKIP LOCKED and fired by a version-checked command, so each fires once."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from engine.service import Engine

log = logging.getLogger("relief.scheduler")
# The nightly seal and verification, at this hour in Shanghai (after the day's work).
NIGHTLY_AUDIT_HOUR = 2


class TimerScheduler:
    """The timer scheduler of one process (embedded in `relief serve` or `relief scheduler`)."""

    def __init__(self, engine: Engine, watch_seconds: float = 1.0, sweep_seconds: float = 30.0,
                 name: str | None = None) -> None:
        self.engine = engine
        self.actor = name or f"scheduler@{socket.gethostname()}:{os.getpid()}"
        self._scheduler = BackgroundScheduler(timezone="UTC")
        # A watch that waits behind a long drain is "skipped" by APScheduler with a warning
        # every second; that is expected here, not something an operator must act on.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.ERROR)
        self._drain_lock = threading.Lock()
        self._arm_lock = threading.Lock()
        self._armed_for: dt.datetime | None = None
        # Two instances: a watch that drains a long backlog must not make the next one
        # "skip" (a warning every second); the drain lock keeps a single drain anyway.
        self._scheduler.add_job(self._watch, "interval", seconds=watch_seconds, id="watch-next-due",
                                max_instances=2, coalesce=True)
        self._scheduler.add_job(self._drain, "interval", seconds=sweep_seconds, id="safety-sweep",
                                max_instances=1, coalesce=True)
        # X-AUDIT: each night seal the case heads, then verify every case and every seal; the
        # stored result is what supervisors see (/audit/verification). Wall time, not the demo
        # clock: it is an operator's job, like a backup.
        self._scheduler.add_job(self._nightly_audit, "cron", hour=NIGHTLY_AUDIT_HOUR, minute=0,
                                timezone="Asia/Shanghai", id="nightly-audit", max_instances=1, coalesce=True)

    # jobs -------------------------------------------------------------------
    def _drain(self) -> int:
        """Fire everything due now; one drain at a time in this process."""
        if not self._drain_lock.acquire(blocking=False):
            return 0  # a drain is under way and will see these timers too
        fired = 0
        try:
            while True:
                batch = self.engine.fire_due_timers(actor=self.actor)
                fired += batch
                if not batch:
                    break
        except Exception:  # noqa: BLE001 - the next watch or sweep retries; the database holds the truth
            log.exception("firing timers failed")
        finally:
            self._drain_lock.release()
        if fired:
            log.info("fired %d timer(s)", fired)
        return fired

    def _nightly_audit(self) -> None:
        """Seal and verify (engine.nightly_audit); a failure is logged and retried the next night."""
        try:
            run = self.engine.nightly_audit(self.actor)
        except Exception:  # noqa: BLE001 - e.g. another scheduler sealed at the same moment
            log.exception("the nightly audit failed")
            return
        (log.warning if run.failed else log.info)("nightly audit: %d case(s) verified, %d failure(s)",
                                                  run.checked, run.failed)

    def _watch(self) -> None:
        """Keep the date job at the next due time; fire at once what is due already."""
        try:
            due = self.engine.next_timer_due()
            if due is not None and due <= self.engine.clock.now():
                self._drain()
                due = self.engine.next_timer_due()
                if due is not None and due <= self.engine.clock.now():
                    due = None  # it failed to fire: the next watch retries, no busy loop
            self._arm(due)
        except Exception:  # noqa: BLE001 - see _drain
            log.exception("reading the next due timer failed")

    def _arm(self, due: dt.datetime | None) -> None:
        with self._arm_lock:
            if due == self._armed_for:
                return
            self._armed_for = due
            if due is None:
                if self._scheduler.get_job("fire-next-due"):
                    self._scheduler.remove_job("fire-next-due")
                return
            # Engine time → wall time (the demo clock may run ahead of the wall clock).
            wall = dt.datetime.now(dt.UTC) + (due - self.engine.clock.now())
            self._scheduler.add_job(self._fire, "date", run_date=wall, id="fire-next-due",
                                    replace_existing=True, misfire_grace_time=None)

    def _fire(self) -> None:
        with self._arm_lock:
            self._armed_for = None
        self._drain()
        self._watch()

    # life cycle -------------------------------------------------------------
    def start(self) -> None:
        """Check the calendar package, fire what fell due while down, then keep watch."""
        try:
            self.engine.check_calendar_upgrade()
        except Exception:  # noqa: BLE001 - deadlines stay as they were; retried at the next start
            log.exception("recomputing provisional deadlines failed")
        self._scheduler.start()
        self._scheduler.add_job(self._watch, id="first-round")  # at once, in the scheduler's threads
        log.info("timer scheduler %s started", self.actor)

    def stop(self) -> None:
        """Stop after the firing under way (if any) has committed."""
        self._scheduler.shutdown(wait=True)
