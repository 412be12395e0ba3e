"""Fixtures: the engine on SQLite and PostgreSQL, the scenario driver, the API client."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import ROOT
from engine.clock import AdjustableClock
from engine.service import Engine
from tests.support import flow_coverage
from tests.support.databases import PG_HINT, TestDatabase, postgres_database, sqlite_database
from tests.support.scenario import Scenario
from workers.runner import detach

# Every incremental state dump of every command is also computed the full way and compared
# (engine.runtime.incremental): the whole suite is the proof that the cache is never stale.
# Set in the environment, so that the app and CLI processes some tests start inherit it.
os.environ.setdefault("RELIEF_VERIFY_STATE", "1")
# The data key every engine, app and CLI process of the suite seals personal data with
# (engine.crypto); a fixed test-only key, so that processes the tests start can read it too.
os.environ.setdefault("RELIEF_DATA_KEY", "test1:dGVzdC1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzLSEhISE")

DEFAULT_START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
BACKENDS = ["sqlite", "postgresql"]
_demo_seeded: set[str] = set()  # the databases the demo accounts are in (demo_users)


def pytest_configure(config: pytest.Config) -> None:
    flow_coverage.configure(config, ROOT / "workflows")


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestDatabase | None]]:
    dbs: dict[str, TestDatabase | None] = {
        "sqlite": sqlite_database(str(tmp_path_factory.mktemp("sqlite"))),
        "postgresql": postgres_database(),
    }
    yield dbs
    for db in dbs.values():
        if db is not None:
            db.drop()


@pytest.fixture(scope="session")
def _engines(_databases: dict[str, TestDatabase | None]) -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def _session_engine(kind: str, dbs: dict[str, TestDatabase | None], engines: dict[str, Engine]) -> Engine:
    from workers.registry import topics

    if kind not in engines:
        db = dbs[kind]
        if db is None:
            pytest.skip(PG_HINT)
        # Leases run on their own clock (the wall clock in a deployment); an adjustable one
        # here, so that a test lets a worker's lock run out without waiting for it.
        engine = Engine(db.url, clock=AdjustableClock(DEFAULT_START), forms_root=ROOT / "forms",
                        known_topics=topics(), wall_clock=AdjustableClock())
        engine.upgrade_schema()
        engines[kind] = engine
    return engines[kind]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, _databases: dict[str, TestDatabase | None],
           _engines: dict[str, Engine]) -> Engine:
    """A migrated engine on each backend, emptied of cases, its clock at DEFAULT_START."""
    eng = _session_engine(request.param, _databases, _engines)
    db = _databases[request.param]
    assert db is not None
    # No runner of an earlier test (run_pending's, or one a failed test left attached) takes this test's jobs.
    detach(eng, hand_back=False)
    eng.executor.push = type(eng.executor.push)()
    db.truncate()
    eng.executor.cache = type(eng.executor.cache)()
    eng.clock.reset_to(DEFAULT_START)
    eng.wall_clock.reset_to(dt.datetime.now(dt.UTC))  # type: ignore[attr-defined] - AdjustableClock
    return eng


@pytest.fixture
def demo_users(engine: Engine) -> Engine:
    """The engine with the demo accounts (window, designer, ... with DEMO_PASSWORD), seeded
    once per database (the per-test truncation keeps users): a test that signs in as one
    asks for them, instead of counting on an earlier test's `live` having seeded them."""
    from api.demo import seed

    if engine.db.url not in _demo_seeded:
        with engine.db.session() as s:
            seed(s, engine.clock.now())
        _demo_seeded.add(engine.db.url)
    return engine


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The engine, with the environment a `relief` CLI command needs to reach its database."""
    monkeypatch.setenv("RELIEF_DATABASE_URL", engine.db.url)
    monkeypatch.setenv("RELIEF_MODE", "test")
    monkeypatch.setenv("RELIEF_SECRET_KEY", "cli-test-secret")
    return engine


@pytest.fixture(scope="session")
def _deployed(_databases: dict[str, TestDatabase | None]) -> set[str]:
    return set()


@pytest.fixture
def scenario(engine: Engine, _deployed: set[str]) -> Iterator[Scenario]:
    """The scenario driver with every diagram of workflows/ deployed (once per database)."""
    if engine.db.url not in _deployed:
        from api.cli import deploy_all

        deploy_all(engine, ROOT / "workflows", "test")
        _deployed.add(engine.db.url)
    driver = Scenario(engine)
    yield driver
    driver.record_coverage()


@pytest.fixture
def watchdog() -> Iterator[None]:
    """Fail the test (instead of hanging the suite) should it run 60 s: for tests of what
    once hung the server. A guard against a regression, not a measure of speed."""
    import signal

    def expired(*_args: object) -> None:
        raise TimeoutError("still running after 60 s: the bound this test proves is gone")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def fixtures_dir() -> Path:
    return Path(__file__).parent / "fixtures"
