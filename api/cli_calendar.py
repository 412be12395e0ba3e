"""`relief calendar …`, `relief scheduler` and `relief clock …` (X-TIMERS)."""

from __future__ import annotations

import datetime as dt
import signal
import time
from pathlib import Path

import click

from api.app import make_engine
from api.settings import Settings
from engine.clock import parse_duration
from engine.errors import ValidationFailed
from engine.service import Engine

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _engine() -> Engine:
    return make_engine(Settings.from_env())


def _date(text: str, name: str = "DATE") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{name} must be a date YYYY-MM-DD, not '{text}'",
                               {"fields": {name.lower(): [text]}}) from None


@click.group()
def calendar() -> None:
    """Working days: show, override, import a year's arrangement, count deadlines."""


@calendar.command("show")
@click.argument("month")
@click.option("--region", help="region code (overrides of that region and its parents)")
def calendar_show(month: str, region: str | None) -> None:
    """Every day of MONTH (YYYY-MM): working day or holiday, and why."""
    try:
        year, mon = (int(x) for x in month.split("-"))
    except ValueError:
        raise ValidationFailed(f"MONTH must be YYYY-MM, not '{month}'", {"fields": {"month": [month]}}) from None
    for d in _engine().calendar.month(year, mon, region):
        why = f"  override {d.override}" + (f": {d.note}" if d.note else "") if d.override else ""
        flag = "  provisional" if d.provisional else ""
        click.echo(f"{d.day.isoformat()} {WEEKDAYS[d.day.weekday()]} {'workday' if d.working else 'holiday'}"
                   f"{flag}{why}")


@calendar.command("set")
@click.argument("date")
@click.argument("kind", type=click.Choice(["holiday", "workday"]))
@click.option("--region", help="region code; national when omitted")
@click.option("--note", default="", help="why (e.g. the local notice)")
@click.option("--source", default="", help="the document that decides it")
@click.option("--as", "actor", default="cli", show_default=True, help="recorded as the author")
def calendar_set(date: str, kind: str, region: str | None, note: str, source: str, actor: str) -> None:
    """Declare DATE a holiday or a working day (an override consulted before the official data)."""
    row = _engine().set_calendar_day(_date(date), kind, actor, region, note, source)
    click.echo(f"{row['date']} {row['kind']} ({row['scope']})")


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="", help="the State Council notice (default: from the file)")
@click.option("--as", "actor", default="cli", show_default=True, help="recorded as the importer")
def calendar_import(file: Path, source: str, actor: str) -> None:
    """Import a year's arrangement (CSV date,kind,note or YAML); provisional deadlines of
    that year are recomputed and audited."""
    result = _engine().import_calendar(file.read_text("utf-8"), file.name, actor, source)
    click.echo(f"{result['year']}: {result['holidays']} holiday(s), {result['workdays']} make-up workday(s)"
               f" imported; {len(result['recomputed'])} provisional deadline(s) recomputed")
    for r in result["recomputed"]:
        click.echo(f"  {r['instance']} {r['element']}: {r['from']} → {r['to']}"
                   f"{' provisional' if r['provisional'] else ''}")


@calendar.command("add-working-days")
@click.argument("date")
@click.argument("n", type=click.IntRange(0, 3660))
@click.option("--region", help="region code; national when omitted")
def calendar_add(date: str, n: int, region: str | None) -> None:
    """Print the deadline N working days after DATE (office close), `provisional` if guessed."""
    try:
        start: dt.date | dt.datetime = dt.datetime.fromisoformat(date) if "T" in date else _date(date)
    except ValueError:
        raise ValidationFailed(f"DATE must be YYYY-MM-DD or an ISO time, not '{date}'",
                               {"fields": {"date": [date]}}) from None
    due, provisional = _engine().add_working_days(start, n, region)
    click.echo(f"{due[:10]} {due}{' provisional' if provisional else ''}")


@click.command("scheduler")
@click.option("--watch-seconds", default=1.0, show_default=True, help="how often the next due time is re-read")
@click.option("--sweep-seconds", default=30.0, show_default=True, help="safety sweep interval")
def scheduler(watch_seconds: float, sweep_seconds: float) -> None:
    """Run the timer scheduler alone (several may run against one PostgreSQL database)."""
    from engine.timers.scheduler import TimerScheduler

    engine = _engine()
    part = TimerScheduler(engine, watch_seconds=watch_seconds, sweep_seconds=sweep_seconds)
    # A plain flag, not a threading.Event: the handler runs in the main thread, and setting an
    # Event the main thread is waiting on takes the lock that wait holds, so the process hung on
    # SIGTERM and kept firing timers (found when a test's cluster outlived its test).
    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: stopping.append(signum))
    part.start()
    click.echo(f"scheduler {part.actor} running; Ctrl-C stops it", err=True)
    try:
        while not stopping:
            time.sleep(0.2)
    finally:
        part.stop()
        engine.dispose()


@click.group()
def clock() -> None:
    """The engine's clock (moving it: test and demo mode only)."""


@clock.command("show")
def clock_show() -> None:
    """Print the engine's current time."""
    click.echo(_engine().clock.now().isoformat())


@clock.command("advance")
@click.argument("by")
def clock_advance(by: str) -> None:
    """Move the clock forward BY (3d, 2h30m, P1DT2H) so deadlines expire; refused in production."""
    now = _engine().advance_clock(parse_duration(by))
    click.echo(now.isoformat())


@clock.command("reset")
def clock_reset() -> None:
    """Put the clock back on the wall clock (test and demo mode); cases keep their times."""
    click.echo(_engine().reset_clock().isoformat())


def attach(main: click.Group) -> None:
    """Add these commands to the `relief` command."""
    main.add_command(calendar)
    main.add_command(scheduler)
    main.add_command(clock)
