"""X-STAFF, issue 15: the work list's counts stop at the engine's cap and then say "more
than" (a tab "1000+", the pager "超过 1000 条") instead of reading every matching task."""

from __future__ import annotations

import re

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


def test_X_STAFF_other_tabs_badges_stop_at_their_cap_the_open_tab_counts_its_list(
        live, scenario, monkeypatch):  # noqa: F811
    """Issue 15: the other tabs' badges read at most TAB_COUNT_CAP + 1 entries a range ("99+");
    the open tab's badge is its list's count, the same as the pager's."""
    from web.views import tasks

    for n in range(3):
        scenario.start(PROCESS, application(applicant_name=f"李小{n}"), f"JY-TAB-{n}")
    web, _ = _signed_in(live.base, "window")
    monkeypatch.setattr(tasks, "TAB_COUNT_CAP", 1)
    page = web.get(f"{live.base}/tasks?tab=groups", timeout=30).text
    badges = dict(re.findall(r'href="/tasks\?tab=(\w+)[^"]*"[^>]*>[^<]*<span class="tabs__count">([^<]+)</span>', page))
    assert badges["unassigned"] == "1+"  # 3 unclaimed tasks, the badge stops at its cap
    assert badges["groups"] == "3" and "共 3 条" in page  # the open tab: its list's exact count
