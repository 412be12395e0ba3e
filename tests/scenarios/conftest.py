"""Every scenario of every variant ends with a look at the raw database (J-SEC): none of the
ID numbers, phones and bank accounts the cases hold is stored in clear anywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.service import Engine
from tests.support.at_rest import found_in_clear, personal_values


@pytest.fixture(autouse=True)
def _J_SEC_nothing_personal_in_clear_at_rest(request: pytest.FixtureRequest) -> Iterator[None]:
    engine: Engine | None = request.getfixturevalue("engine") if "engine" in request.fixturenames else None
    yield
    if engine is None:
        return
    values = personal_values(engine)
    assert found_in_clear(engine, values) == [], "personal data stored in clear (J-SEC, encryption at rest)"
