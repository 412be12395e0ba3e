"""Every scenario of every variant ends with a look at the raw database (J-SEC): none of the
ID numbers, phones and bank accounts the cases hold is stored in clear anywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from engine.service import Engine
from engine.store.models import Instance
from tests.support.at_rest import found_in_clear, personal_values


@pytest.fixture(autouse=True)
def _J_SEC_nothing_personal_in_clear_at_rest(request: pytest.FixtureRequest) -> Iterator[None]:
    engine: Engine | None = request.getfixturevalue("engine") if "engine" in request.fixturenames else None
    yield
    if engine is None:
        return
    _X_AUDIT_every_case_re_executes_to_its_stored_state(engine)
    values = personal_values(engine)
    assert found_in_clear(engine, values) == [], "personal data stored in clear (J-SEC, encryption at rest)"


def _X_AUDIT_every_case_re_executes_to_its_stored_state(engine: Engine) -> None:
    """X-AUDIT: after each scenario, each of its cases is re-executed from its audit events on
    a fresh workflow of its own definition version and must reach its stored state."""
    with engine.db.reading() as s:
        ids = list(s.scalars(sa.select(Instance.id).order_by(Instance.started_at)))
    failed = [line for i in ids if not (result := engine.replay_case(i)).ok for line in [result.line()]]
    assert failed == [], "re-execution differs from the stored history (X-AUDIT)"
