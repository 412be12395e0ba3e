"""Every portal test ends with the auditor's re-execution of every case it left (X-AUDIT):
online applications, complaints and bad-rating follow-ups included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.re_execution import every_case_re_executes


@pytest.fixture(autouse=True)
def _X_AUDIT_every_case_re_executes(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from every_case_re_executes(request)
