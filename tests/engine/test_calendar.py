"""Working days over the official arrangement (X-TIMERS, J-T2, W-FLOW)."""

import datetime as dt

from engine.calendar import add_working_days, end_of_working_day, is_provisional, is_working_day

CST = dt.timezone(dt.timedelta(hours=8))


def test_J_T2_two_working_days_across_national_day_2026():
    """Accepted Wed 30 Sep 2026: 1-7 Oct are holidays, so the 2nd working day is Fri 9 Oct."""
    assert add_working_days("2026-09-30T10:00:00+08:00", 2) == "2026-10-09T17:30:00+08:00"


def test_spring_festival_2026_make_up_saturday_counts_as_working_day():
    """2026-02-14 (Saturday) is a 调休 working day; 15-23 Feb are holidays."""
    assert is_working_day(dt.date(2026, 2, 14))
    assert not is_working_day(dt.date(2026, 2, 16))
    assert add_working_days("2026-02-13T09:00:00+08:00", 1) == "2026-02-14T17:30:00+08:00"
    assert add_working_days("2026-02-13T09:00:00+08:00", 2) == "2026-02-24T17:30:00+08:00"


def test_may_day_2026():
    """1-5 May 2026 are holidays; Saturday 9 May is a make-up working day."""
    assert add_working_days("2026-04-30T16:00:00+08:00", 1) == "2026-05-06T17:30:00+08:00"
    assert is_working_day(dt.date(2026, 5, 9))


def test_W_LEDGER_same_day_means_office_close_of_that_working_day():
    assert end_of_working_day("2026-11-02T09:00:00+08:00") == "2026-11-02T17:30:00+08:00"
    # A Saturday application is ledgered by the close of Monday.
    assert end_of_working_day("2026-11-07T09:00:00+08:00") == "2026-11-09T17:30:00+08:00"


def test_utc_input_is_counted_in_china_time():
    # 2026-11-01 20:00 UTC is Monday 2 Nov 04:00 in Shanghai.
    assert add_working_days(dt.datetime(2026, 11, 1, 20, 0, tzinfo=dt.UTC), 1) == "2026-11-03T17:30:00+08:00"


def test_year_without_official_data_is_provisional_but_answers():
    """chinesecalendar stops at 2026; a deadline from 2026-12-30 still gets an answer."""
    due = add_working_days("2026-12-30T10:00:00+08:00", 2)
    assert due == "2027-01-04T17:30:00+08:00"  # 31 Dec, (1 Jan holiday, weekend), Mon 4 Jan
    assert is_provisional(dt.date(2027, 1, 4))
    assert not is_provisional(dt.date(2026, 12, 31))
