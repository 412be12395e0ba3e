"""X-STAFF, issue 15: the work list's counts stop at the engine's cap and then say "more
than" (a tab "1000+", the pager "超过 1000 条") instead of reading every matching task."""

from __future__ import annotations

import pytest

from engine import queries
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.reliability.test_session_matrix import _signed_in
from tests.scenarios.test_jiangyin import PROCESS, application

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def test_X_STAFF_counts_beyond_the_cap_say_more_than(live, scenario, monkeypatch):  # noqa: F811
    for n in range(3):
        scenario.start(PROCESS, application(applicant_name=f"王小{n}"), f"JY-CAP-{n}")
    web, _ = _signed_in(live.base, "window")
    exact = web.get(f"{live.base}/tasks?tab=groups", timeout=30).text
    assert '<span class="tabs__count">3</span>' in exact and "共 3 条" in exact
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    capped = web.get(f"{live.base}/tasks?tab=groups", timeout=30).text
    assert '<span class="tabs__count">2+</span>' in capped
    assert "超过 2 条" in capped and "共 3 条" not in capped
    assert capped.count("JY-CAP-") >= 3  # the page itself is whole
