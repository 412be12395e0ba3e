"""The calendar, the clock and deadline filters over HTTP (X-TIMERS, W-SUPERVISE)."""

import datetime as dt
from pathlib import Path

from engine.clock import Clock
from engine.service import Engine
from tests.api.conftest import serving
from tests.timers.helpers import at, review_task, start_mini

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendar"


def test_X_TIMERS_admin_sets_a_day_and_everyone_sees_the_month(live, engine):
    r = live.call("PUT", "/api/v1/calendar/days/2026-11-05", as_="admin",
                  json={"kind": "holiday", "region": "320281", "note": "local closure", "source": "县政府通知"})
    assert r.status_code == 200, r.text
    assert r.json() == {"date": "2026-11-05", "kind": "holiday", "scope": "320281", "note": "local closure",
                        "source": "县政府通知"}
    days = live.call("GET", "/api/v1/calendar/months/2026-11?region=320281", as_="window").json()
    assert len(days) == 30
    assert days[4] == {"date": "2026-11-05", "working": False, "provisional": False, "override": "320281",
                       "note": "local closure"}
    national = live.call("GET", "/api/v1/calendar/months/2026-11", as_="window").json()
    assert national[4]["working"] is True and national[4]["override"] is None
    r = live.call("GET", "/api/v1/calendar/add-working-days?start=2026-11-04&n=1&region=320281", as_="window")
    assert r.json() == {"date": "2026-11-06", "due": "2026-11-06T17:30:00+08:00", "provisional": False}
    r = live.call("GET", "/api/v1/calendar/add-working-days?start=2026-12-30T10:00:00%2B08:00&n=2", as_="window")
    assert r.json() == {"date": "2027-01-04", "due": "2027-01-04T17:30:00+08:00", "provisional": True}


def test_X_TIMERS_calendar_changes_are_for_admins_and_bad_input_names_the_field(live, engine):
    r = live.call("PUT", "/api/v1/calendar/days/2026-11-05", as_="window", json={"kind": "holiday"})
    assert r.status_code == 403
    r = live.call("PUT", "/api/v1/calendar/days/2026-11-31", as_="admin", json={"kind": "holiday"})
    assert r.status_code == 422 and "date" in r.json()["details"]["fields"]
    r = live.call("PUT", "/api/v1/calendar/days/2026-11-05", as_="admin", json={"kind": "vacation"})
    assert r.status_code == 422 and "kind" in r.text
    r = live.call("GET", "/api/v1/calendar/months/2026-13", as_="admin")
    assert r.status_code == 422 and "month" in r.json()["details"]["fields"]
    r = live.call("POST", "/api/v1/calendar/imports", as_="admin",
                  json={"filename": "x.csv", "content": "date,kind\n2027-01-01,off\n"})
    assert r.status_code == 422 and "line 2" in r.json()["message"]
    assert engine.calendar.current().imported_years == frozenset()
    assert live.call("GET", "/api/v1/calendar/months/2026-11", as_="admin").json()[4]["override"] is None


def test_X_TIMERS_import_over_http_recomputes_the_provisional_deadline(live, engine):
    engine.clock.reset_to(at("2026-12-30 10:00"))
    instance_id = start_mini(engine, "API-YE")
    task = live.call("GET", f"/api/v1/tasks?instance={instance_id}", as_="centre").json()[0]
    assert task["due_provisional"] is True and task["due_at"].startswith("2027-01-04T09:30")
    r = live.call("POST", "/api/v1/calendar/imports", as_="admin",
                  json={"filename": "2027.yaml", "content": (CALENDARS / "2027-test.yaml").read_text("utf-8")})
    assert r.status_code == 201, r.text
    assert [(x["instance"], x["from"], x["to"]) for x in r.json()["recomputed"]] == [
        (instance_id, "2027-01-04T09:30:00+00:00", "2027-01-05T09:30:00+00:00")]
    task = live.call("GET", f"/api/v1/tasks?instance={instance_id}", as_="centre").json()[0]
    assert task["due_provisional"] is False and task["due_at"].startswith("2027-01-05T09:30")


def test_W_SUPERVISE_tasks_filter_overdue_and_due_soon(live, engine):
    engine.clock.reset_to(at("2026-11-02 09:00"))
    early = start_mini(engine, "DUE-1")  # due Wed 4 Nov 17:30
    engine.clock.reset_to(at("2026-11-04 09:00"))
    late = start_mini(engine, "DUE-2")  # due Fri 6 Nov 17:30
    engine.clock.reset_to(at("2026-11-04 18:00"))

    def ids(query: str) -> list[str]:
        r = live.call("GET", f"/api/v1/tasks?{query}", as_="centre")
        assert r.status_code == 200, r.text
        return [t["instance_id"] for t in r.json()]

    assert ids("overdue=true") == [early]
    assert ids("due_soon=true") == []  # DUE-2 is 47.5 h away
    assert ids("due_soon=true&due_within_hours=48") == [late]
    listed = {t["instance_id"]: t for t in live.call("GET", "/api/v1/tasks", as_="centre").json()}
    assert listed[early]["overdue"] is True and listed[late]["overdue"] is False
    detail = live.call("GET", f"/api/v1/tasks/{review_task(engine, early).id}", as_="centre").json()
    assert detail["overdue"] is True
    assert live.call("GET", "/api/v1/tasks?due_soon=true&due_within_hours=0", as_="centre").status_code == 422


def test_X_TIMERS_admin_moves_the_clock_in_test_mode_only(live, engine, tmp_path):
    before = dt.datetime.fromisoformat(live.call("GET", "/api/v1/admin/clock", as_="admin").json()["now"])
    r = live.call("POST", "/api/v1/admin/clock/advance", as_="admin", json={"by": "3d"})
    assert r.status_code == 200, r.text
    assert dt.datetime.fromisoformat(r.json()["now"]) - before >= dt.timedelta(days=3)
    assert live.call("POST", "/api/v1/admin/clock/advance", as_="window", json={"by": "3d"}).status_code == 403
    r = live.call("POST", "/api/v1/admin/clock/advance", as_="admin", json={"by": "soon"})
    assert r.status_code == 422 and "by" in r.json()["details"]["fields"]

    # The same application in production mode: a fixed clock, and the request is refused.
    production = Engine(engine.db.url, clock=Clock())
    try:
        with serving(production, tmp_path, mode="production") as client:
            r = client.call("POST", "/api/v1/admin/clock/advance", as_="admin", json={"by": "3d"})
            assert r.status_code == 403 and "test or demo mode" in r.json()["message"]
            assert client.call("GET", "/api/v1/admin/clock", as_="admin").json()["adjustable"] is False
    finally:
        production.dispose()
