"""A clock advance cannot brick a demo server (issue 9, defect 6), on SQLite and PostgreSQL.

The demo's clock keeps its offset in the database (SharedClock): an advance beyond the
bound is refused and nothing is stored; an offset out of range found in the database is
ignored (the server keeps answering) until `relief clock reset` clears it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from api.settings import ROOT
from engine.calendar.shared import CLOCK_OFFSET, SharedSettings
from engine.clock import MAX_OFFSET, SharedClock
from engine.service import Engine
from tests.api.conftest import Client, serving


@pytest.fixture
def demo_clock(engine: Engine, live: Client, tmp_path) -> Iterator[tuple[Engine, Client]]:
    """The test database (demo accounts seeded by `live`) served with the demo's clock,
    whose offset is stored in the database."""
    shared = Engine(engine.db.url, clock=SharedClock(refresh_seconds=0), forms_root=ROOT / "forms")
    try:
        with serving(shared, tmp_path, mode="demo") as client:
            yield shared, client
    finally:
        shared.dispose()


def _stored(engine: Engine) -> object:
    return SharedSettings(engine.db).get(CLOCK_OFFSET)


def _store(engine: Engine, value: object) -> None:
    with engine.db.session() as s:
        SharedSettings.put(s, CLOCK_OFFSET, value, dt.datetime.now(dt.UTC))


def test_issue9_defect6_an_advance_beyond_the_bound_is_422_and_stores_nothing(demo_clock):
    shared, client = demo_clock
    assert client.call("POST", "/api/v1/admin/clock/advance", as_="admin", json={"by": "3d"}).status_code == 200
    offset = _stored(shared)
    assert 3 * 86400 - 5 < float(offset) <= 3 * 86400
    for by in ("999999999d", "99999999999999999999d", f"{MAX_OFFSET.days - 2}d", "P4000D"):
        r = client.call("POST", "/api/v1/admin/clock/advance", as_="admin", json={"by": by})
        assert r.status_code == 422, (by, r.text)
        assert list(r.json()["details"]["fields"]) == ["by"]
        assert _stored(shared) == offset
    # Everything that reads the clock still answers.
    assert client.call("GET", "/api/v1/admin/clock", as_="admin").status_code == 200
    assert client.call("GET", "/api/v1/tasks", as_="centre").status_code == 200
    r = client.call("POST", "/api/v1/admin/clock/advance", as_="admin", json={"by": f"{MAX_OFFSET.days - 3}d"})
    assert r.status_code == 200  # up to the bound exactly


@pytest.mark.parametrize("bad", [1e300, "not a number", -(MAX_OFFSET.total_seconds() + 86400)])
def test_issue9_defect6_a_stored_offset_out_of_range_is_ignored_until_relief_clock_reset(demo_clock, bad, tmp_path):
    shared, client = demo_clock
    _store(shared, bad)
    r = client.call("GET", "/api/v1/admin/clock", as_="admin")
    assert r.status_code == 200
    now = dt.datetime.fromisoformat(r.json()["now"])
    assert abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)  # the wall clock
    assert client.call("GET", "/api/v1/tasks", as_="centre").status_code == 200
    env = {**os.environ, "RELIEF_DATABASE_URL": shared.db.url, "RELIEF_MODE": "demo", "RELIEF_VAR_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "api.cli", "clock", "reset"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert float(_stored(shared)) == 0.0
    assert client.call("POST", "/api/v1/admin/clock/advance", as_="admin", json={"by": "1d"}).status_code == 200
