"""The auditor's check of every case a test leaves (X-AUDIT): each case is re-executed from
its audit events on a fresh workflow of its own definition version and must reach its
stored state. Shared by the test packages whose teardown runs it (tests/scenarios,
tests/portal, ...) through `every_case_re_executes`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from engine.service import Engine
from engine.store.models import Instance


def failed_re_executions(engine: Engine) -> list[str]:
    """One line per case of `engine` whose re-execution differs from its stored history."""
    with engine.db.reading() as s:
        ids = list(s.scalars(sa.select(Instance.id).order_by(Instance.started_at, Instance.id)))
    return [result.line() for i in ids if not (result := engine.replay_case(i, frames=False)).ok]


def X_AUDIT_every_case_re_executes_to_its_stored_state(engine: Engine) -> None:
    """X-AUDIT: every case of `engine` re-executes to its stored state."""
    failed = failed_re_executions(engine)
    assert failed == [], "re-execution differs from the stored history (X-AUDIT):\n" + "\n".join(failed)


def every_case_re_executes(request: pytest.FixtureRequest) -> Iterator[None]:
    """Body of an autouse fixture: after a test that used the `engine` fixture, every case it
    left re-executes to its stored state. A test marked `state_written` wrote a case's stored
    state itself (a shortcut to a state no command of the test reached): no history to check."""
    engine: Engine | None = request.getfixturevalue("engine") if "engine" in request.fixturenames else None
    if request.node.get_closest_marker("state_written") is not None:
        engine = None
    yield
    if engine is not None:
        X_AUDIT_every_case_re_executes_to_its_stored_state(engine)
