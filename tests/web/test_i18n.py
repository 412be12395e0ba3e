"""X-STAFF: dates as people read them, deadlines in working days of the engine's calendar,
and an English catalog that covers every text of the pages (checked against a fresh
extraction, so a new text cannot be left untranslated)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from api.settings import ROOT
from web.deadlines import deadline
from web.i18n import date_filter, datetime_filter

CST = dt.timezone(dt.timedelta(hours=8))
CATALOG = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


@pytest.fixture
def app(live):
    return live.app


def test_X_STAFF_dates_as_people_read_them(app):
    monday = dt.datetime(2026, 12, 7, 1, 30, tzinfo=dt.UTC)  # 09:30 in Beijing
    with app.test_request_context("/"):
        assert date_filter(monday) == "2026年12月7日 星期一"
        assert datetime_filter(monday) == "2026年12月7日 星期一 09:30"
        assert date_filter(dt.date(2026, 10, 1)) == "2026年10月1日 星期四"
        with force_locale("en"):
            assert date_filter(monday) == "Monday 7 December 2026"
            assert datetime_filter(monday) == "Monday 7 December 2026 09:30"
        # late evening in UTC is already the next day in Beijing
        assert date_filter(dt.datetime(2026, 12, 6, 17, 0, tzinfo=dt.UTC)) == "2026年12月7日 星期一"


@pytest.mark.parametrize("now,due,zh,en,tone", [
    ("2026-11-06T10:00", "2026-11-09T17:30", "剩余 1 个工作日", "1 working day left", "soon"),  # Fri → Mon
    ("2026-11-02T10:00", "2026-11-09T17:30", "剩余 5 个工作日", "5 working days left", "ok"),
    ("2026-11-06T10:00", "2026-11-06T17:30", "今日到期", "Due today", "today"),
    ("2026-11-06T18:00", "2026-11-06T17:30", "今日已超期", "Overdue today", "overdue"),
    ("2026-11-10T09:00", "2026-11-06T17:30", "已超期 2 个工作日", "Overdue by 2 working days", "overdue"),  # Mon, Tue
    ("2026-11-09T09:00", "2026-11-06T17:30", "已超期 1 个工作日", "Overdue by 1 working day", "overdue"),
    ("2026-09-30T10:00", "2026-10-09T17:30", "剩余 2 个工作日", "2 working days left", "soon"),  # National Day week
])
def test_X_TIMERS_deadline_badge_counts_working_days(app, engine, now, due, zh, en, tone):
    engine.clock.reset_to(dt.datetime.fromisoformat(now).replace(tzinfo=CST))
    due_at = dt.datetime.fromisoformat(due).replace(tzinfo=CST)
    with app.test_request_context("/"):
        badge = deadline(due_at)
        assert (badge.text, badge.tone, badge.provisional) == (zh, tone, False)
        with force_locale("en"):
            assert deadline(due_at).text == en
        assert deadline(None) is None
        assert deadline(due_at, provisional=True).provisional


def test_X_STAFF_the_english_catalog_covers_every_text_of_the_pages(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "web/babel.cfg", "-k", "_l",
                    "-o", str(pot), "web"], cwd=ROOT, check=True, capture_output=True)
    extracted = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalog = read_po(CATALOG.open("rb"))
    translated = {m.id for m in catalog if m.id and m.string and (not isinstance(m.string, tuple) or all(m.string))}
    assert sorted(map(str, extracted - translated)) == [], "run `make translations` and translate these"
    assert not [m.id for m in catalog if m.id and m.fuzzy], "fuzzy entries are not used: check them"
