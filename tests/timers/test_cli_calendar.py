"""`relief calendar …` and `relief clock …` as an operator runs them (X-TIMERS)."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.auth import create_user

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def relief(tmp_path, *args, mode="test"):
    env = {**os.environ, "RELIEF_DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite", "RELIEF_MODE": mode,
           "RELIEF_VAR_DIR": str(tmp_path), "RELIEF_FORMS_ROOT": str(FIXTURES / "forms"),
           "RELIEF_SECRET_KEY": "test-secret-key-not-for-production"}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def relief_all(tmp_path, commands):
    """Run independent commands side by side (each is a separate process anyway)."""
    env = {**os.environ, "RELIEF_DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite", "RELIEF_MODE": "test",
           "RELIEF_VAR_DIR": str(tmp_path), "RELIEF_SECRET_KEY": "test-secret-key-not-for-production"}
    procs = [subprocess.Popen([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for args in commands]
    done = []
    for proc, args in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return done


def ok(proc):
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _prepared(tmp_path):
    """Schema, the mini process and a user, made in-process (the commands under test run apart)."""
    from engine.service import Engine
    from tests.engine.helpers import mini_bundle

    engine = Engine(f"sqlite:///{tmp_path}/cli.sqlite")
    engine.upgrade_schema()
    engine.deploy(mini_bundle(), "designer")
    with engine.db.session() as s:
        create_user(s, "centre", "long-enough-pw", ["dispatcher"], ["county-centre"])
    engine.dispose()


def test_X_TIMERS_calendar_commands_count_show_and_override(tmp_path):
    _prepared(tmp_path)
    national, crossing, february, bad = relief_all(tmp_path, [
        ("calendar", "add-working-days", "2026-09-30", "2"), ("calendar", "add-working-days", "2026-12-30", "2"),
        ("calendar", "show", "2026-02"), ("calendar", "set", "2026-02-30", "holiday")])
    assert ok(national).split()[0] == "2026-10-09"
    assert ok(crossing).split()[0] == "2027-01-04" and "provisional" in crossing.stdout
    days = ok(february).splitlines()
    assert len(days) == 28
    assert days[13].startswith("2026-02-14 Sat workday") and days[15].startswith("2026-02-16 Mon holiday")
    assert bad.returncode != 0 and "YYYY-MM-DD" in bad.stderr
    ok(relief(tmp_path, "calendar", "set", "2026-11-05", "holiday", "--region", "320281", "--note", "local"))
    assert ok(relief(tmp_path, "calendar", "add-working-days", "2026-11-04", "1", "--region", "320281")) \
        .startswith("2026-11-06 ")


def test_X_TIMERS_clock_advance_moves_the_clock_of_other_processes_and_the_import_recomputes(tmp_path):
    """A case started at the shared test clock's 30 Dec 2026 gets a provisional deadline;
    `relief calendar import` recomputes it. Production refuses to move the clock."""
    _prepared(tmp_path)
    target = datetime(2026, 12, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    seconds = int((target - datetime.now(UTC)).total_seconds())  # the shared clock starts at the wall clock
    if seconds < 0:
        pytest.skip("needs a wall clock before 30 Dec 2026: the test clock only moves forward")
    moved = datetime.fromisoformat(ok(relief(tmp_path, "clock", "advance", f"{seconds}s")).strip())
    assert abs((moved - target).total_seconds()) < 60
    # `start` runs in another process: the case sees the moved clock (a 2027 deadline).
    ok(relief(tmp_path, "start", "mini_case", "--as", "centre", "--business-key", "CLI-YE"))
    out = ok(relief(tmp_path, "calendar", "import", str(FIXTURES / "calendar" / "2027-test.yaml")))
    assert "2027: 2 holiday(s), 1 make-up workday(s) imported; 1 provisional deadline(s) recomputed" in out
    assert "Timer_Review: 2027-01-04T09:30:00+00:00 → 2027-01-05T09:30:00+00:00" in out
    assert "due=2027-01-05T09:30:00+00:00" in ok(relief(tmp_path, "tasks", "--as", "centre"))

    refused = relief(tmp_path, "clock", "advance", "3d", mode="production")
    assert refused.returncode != 0 and "test or demo mode" in refused.stderr
