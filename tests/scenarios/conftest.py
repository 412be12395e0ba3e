"""Every scenario of every variant ends with the auditor's re-execution of each of its cases
(X-AUDIT, tests/support/re_execution.py) and a look at the raw database (J-SEC): none of the
ID numbers, phones and bank accounts the cases hold is stored in clear anywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.service import Engine
from tests.support.at_rest import found_in_clear, personal_values
from tests.support.re_execution import X_AUDIT_every_case_re_executes_to_its_stored_state


@pytest.fixture(autouse=True)
def _J_SEC_nothing_personal_in_clear_at_rest(request: pytest.FixtureRequest) -> Iterator[None]:
    engine: Engine | None = request.getfixturevalue("engine") if "engine" in request.fixturenames else None
    yield
    if engine is None:
        return
    X_AUDIT_every_case_re_executes_to_its_stored_state(engine)
    values = personal_values(engine)
    assert found_in_clear(engine, values) == [], "personal data stored in clear (J-SEC, encryption at rest)"

