"""Fixtures for the worker tests: outside systems, worker tokens, a webhook department."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.definitions.bundle import BundleFile
from engine.service import Engine
from tests.api.conftest import live  # noqa: F401 - the live API server fixture
from tests.support.re_execution import every_case_re_executes
from tests.workers.outside import OutsideSystem
from workers.context import HandlerContext
from workers.loop import handle
from workers.protocol import HttpSource
from workers.records import HttpRecords
from workers.registry import HANDLERS

FIXTURES = Path(__file__).parent / "fixtures"
DEPT_SECRET = "dept-hrss-shared-secret-for-tests"
HOTLINE_SECRET = "hotline-shared-secret-for-tests"


@pytest.fixture
def outside() -> Iterator[callable]:
    """Make outside systems by name; all are shut down after the test."""
    made: list[OutsideSystem] = []

    def make(name: str) -> OutsideSystem:
        system = OutsideSystem(name)
        made.append(system)
        return system

    yield make
    for system in made:
        system.release_all()
        system.close()


@pytest.fixture
def department(outside, tmp_path, monkeypatch) -> OutsideSystem:
    """The HR & social security bureau as a webhook department with its own system."""
    system = outside("hrss")
    config = {"hrss": {"name": "人力资源和社会保障局", "mode": "webhook", "url": system.url,
                       "secret_env": "RELIEF_TEST_DEPT_HRSS_SECRET"},
              "civil-affairs": {"name": "民政局", "mode": "worklist"}}
    path = tmp_path / "departments.json"
    path.write_text(json.dumps(config, ensure_ascii=False), "utf-8")
    monkeypatch.setenv("RELIEF_DEPARTMENTS_FILE", str(path))
    monkeypatch.setenv("RELIEF_TEST_DEPT_HRSS_SECRET", DEPT_SECRET)
    return system


@pytest.fixture
def hotline_secret(monkeypatch) -> str:
    monkeypatch.setenv("RELIEF_HOTLINE_SECRET", HOTLINE_SECRET)
    return HOTLINE_SECRET


_deployed: set[str] = set()


@pytest.fixture
def handoff(engine: Engine) -> Engine:
    """The engine with the test diagram `worker_handoff` (dispatch → wait for the
    department's result → notify) deployed."""
    if engine.db.url not in _deployed:
        engine.deploy([BundleFile("handoff.bpmn", "bpmn", (FIXTURES / "handoff.bpmn").read_bytes())], "test")
        _deployed.add(engine.db.url)
    return engine


def worker_token(engine: Engine, name: str = "test-worker", topics: list[str] | None = None) -> str:
    return engine.create_worker_token(name, topics or [], "test")[1]


def run_over_http(base: str, token: str, engine: Engine, topics: list[str] | None = None,
                  worker_id: str = "w1") -> list[dict]:
    """Run every due job through the HTTP protocol (what `relief worker` does per job)."""
    source = HttpSource(base, token, worker_id)
    done = []
    while jobs := source.fetch(topics or sorted(HANDLERS), 10, 300, 0):
        for job in jobs:
            done.append(handle(source, job, HANDLERS, HandlerContext(HttpRecords(source, job.id), engine.clock.now())))
    return done


@pytest.fixture(autouse=True)
def _X_AUDIT_every_case_re_executes(request: pytest.FixtureRequest) -> Iterator[None]:
    """X-AUDIT: every case a test of this package leaves re-executes to its stored state."""
    yield from every_case_re_executes(request)

