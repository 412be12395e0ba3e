"""Reads from a read replica (issue 15: RELIEF_DATABASE_READ_URL), with read-your-writes.

The "replica" here is a second PostgreSQL schema migrated like the primary and never written
to: a replica infinitely behind. Whatever a request reads from it shows up as missing, so
the tests see exactly which reads went where."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from api.demo import DEMO_PASSWORD
from engine.service import Engine
from engine.store.schemas import create_schema, drop_schema
from tests.api.conftest import serving
from tests.support.databases import PG_ENV

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MINI_FILES = [("mini.bpmn", FIXTURES / "mini.bpmn", "application/xml"),
              ("mini/review.json", FIXTURES / "forms/mini/review.json", "application/json")]


@pytest.fixture
def replicated(engine: Engine, live, tmp_path: Path) -> Iterator[tuple[Engine, str]]:  # noqa: ARG001 - live seeds the users
    """An engine on the test database whose reads may go to an empty, migrated replica."""
    if engine.db.is_sqlite:
        pytest.skip("read replicas are a PostgreSQL deployment's (SQLite has one file)")
    base = os.environ[PG_ENV]
    schema, url = create_schema(base, "relief_replica")
    replica = Engine(url, keyring=engine.db.keyring)
    replica.upgrade_schema()
    replica.db.dispose()
    routed = Engine(engine.db.url, clock=engine.clock, forms_root=engine.forms_root,
                    known_topics=engine.known_topics, keyring=engine.db.keyring, read_url=url)
    try:
        with serving(routed, tmp_path) as client:
            yield routed, client.base
    finally:
        routed.db.dispose()
        drop_schema(base, schema)


def _signed_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    r = session.post(f"{base}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD},
                     timeout=10)
    assert r.status_code == 200, r.text
    session.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return session


def test_reads_of_a_caller_who_just_wrote_stay_on_the_primary_others_go_to_the_replica(replicated):
    """X-STAFF: a designer who just deployed sees the definition; a colleague whose request reads
    the replica does not (yet) — the replica is behind — and nothing is lost on the primary."""
    _routed, base = replicated
    designer = _signed_in(base, "designer")
    files = [("files", (name, path.read_bytes(), kind)) for name, path, kind in MINI_FILES]
    r = designer.post(f"{base}/api/v1/deployments", files=files, timeout=30)
    assert r.status_code in (200, 201), r.text
    assert "relief_primary_until" in designer.cookies  # this caller's reads stay on the primary a while
    keys = {d["key"] for d in designer.get(f"{base}/api/v1/definitions", timeout=10).json()}
    assert "mini_case" in keys

    colleague = _signed_in(base, "designer")  # same rights, no recent write: reads the replica
    colleague.cookies.clear()
    assert colleague.get(f"{base}/api/v1/definitions", timeout=10).json() == []


def test_without_a_replica_every_read_is_the_primarys(engine, live):
    """The default (no RELIEF_DATABASE_READ_URL): no cookie, and every caller sees every write."""
    files = [("files", (name, path.read_bytes(), kind)) for name, path, kind in MINI_FILES]
    r = live.call("POST", "/api/v1/deployments", as_="designer", files=files)
    assert r.status_code in (200, 201) and "relief_primary_until" not in r.cookies
    fresh = requests.get(f"{live.base}/api/v1/definitions", timeout=10,
                         headers={"Authorization": f"Bearer {live.token('designer')}"})
    assert "mini_case" in {d["key"] for d in fresh.json()}


def test_a_request_that_writes_reads_its_own_write_afterwards(replicated, scenario):  # noqa: ARG001 - deploys
    """Inside one context, a commit sends the following reads to the primary (engine.store.db)."""
    routed, _base = replicated
    from engine.store.models import Definition  # noqa: PLC0415 - a model only this test reads

    with routed.db.replica_reads():
        with routed.db.reading() as s:
            assert s.query(Definition).count() == 0  # the replica: empty
        with routed.db.session() as s:
            s.execute(Definition.__table__.select().limit(1))  # any committed transaction
        with routed.db.reading() as s:
            on_primary = s.query(Definition).count()
    with routed.db.reading() as s:  # outside the block: always the primary
        assert s.query(Definition).count() == on_primary
    assert on_primary > 0  # the primary holds the deployed workflows (the scenario fixture)
