"""Two-user races (issue 9, defects 3 and 10): claim, complete, claim against completion,
messages, a message against its deadline, job reports and timer firings, each many times
on SQLite and PostgreSQL, through the engine (two engines, as two server processes) and
over HTTP. Every try must have exactly one winner; the loser gets its refusal (409, or
404 for a message whose case has ended) and nothing of it reaches the case.

Figures: races tried, double winners (0), lost updates (0). The races themselves are in
tests/support/races.py; tests/engine/test_races.py runs a few of each in the regular suite."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.reliability.conftest import long_mode
from tests.support import races


def _tries(engine) -> int:
    """50 a kind on PostgreSQL (where writers really overlap), 10 on SQLite (which serialises
    them); ten times as many in the long mode."""
    tries = 10 if engine.db.is_sqlite else 50
    return tries * 10 if long_mode() else tries


def _count(figures: Counter[str], engine, verdicts: list[races.Verdict]) -> None:
    backend = "sqlite" if engine.db.is_sqlite else "postgresql"
    for verdict in verdicts:
        for name, value in (("races tried", 1), ("double winners", int(verdict.double_winner)),
                            ("lost updates", int(verdict.lost_update))):
            figures[name] += value
            figures[f"{name} ({backend})"] += value


@pytest.mark.parametrize("kind", list(races.RACES))
def test_two_users_at_once_have_exactly_one_winner(engine, figures, kind):
    races.deploy(engine)
    verdicts = []
    with races.second_engine(engine) as other:
        for i in range(_tries(engine)):
            verdicts.append(races.RACES[kind](engine, other, f"{kind}-{i}"))
    _count(figures, engine, verdicts)
    problems = [p for v in verdicts for p in v.problems]
    assert problems == [], f"{len(problems)} of {len(verdicts)} tries went wrong: {problems[:5]}"


def _http_race(live, task_id: str, action: str, data: dict | None = None) -> list[races.Outcome]:  # noqa: F811
    """`centre` and `admin` (both may act on county-centre tasks) at the same moment; the
    second one's answer carries an ID number, so that a mixed case data shows."""

    def call(who: str, payload: dict | None):
        return lambda: live.call("POST", f"/api/v1/tasks/{task_id}/{action}", as_=who,
                                 json={"data": payload} if payload is not None else None)

    other_data = None if data is None else {**data, "applicant_id_number": races.ID_NUMBER}
    return races.race(call("centre", data), call("admin", other_data))


@pytest.mark.parametrize("action", ["claim", "complete"])
def test_two_users_at_once_over_http_one_gets_200_the_other_409(engine, live, figures, action):  # noqa: F811
    """The API's answers, as the probe saw them: 200 to one request, 409 with a message to
    the other; never 200 twice, never a 5xx."""
    races.deploy(engine)
    for who in ("window", "centre", "admin"):
        live.token(who)  # signed in before: the race is the two actions only
    verdicts = []
    for i in range(max(_tries(engine) // 2, 5)):
        r = live.call("POST", "/api/v1/instances", as_="window",
                      json={"definition": "mini_case", "business_key": f"HTTP-{action}-{i}", "data": {}})
        assert r.status_code == 201, r.text
        inst = r.json()["id"]
        [task] = [t for t in live.call("GET", "/api/v1/tasks", as_="centre").json() if t["instance_id"] == inst]
        outcomes = _http_race(live, task["id"], action, {"approved": "no"} if action == "complete" else None)
        verdict = races.Verdict(f"{action} over HTTP", outcomes)
        statuses = sorted(o.value.status_code for o in outcomes if o.won)
        if statuses == [200, 200]:
            verdict.double_winner = True
        verdict.expect(statuses == [200, 409], f"answers {statuses}")
        loser = next((o.value for o in outcomes if o.won and o.value.status_code == 409), None)
        verdict.expect(loser is not None and loser.json()["error"] == "conflict" and loser.json()["message"],
                       "the refusal says nothing")
        if action == "complete" and statuses == [200, 409]:
            winner = next(i for i, o in enumerate(outcomes) if o.value.status_code == 200)
            data = engine.case_data(engine.instance(inst))
            verdict.expect(("applicant_id_number" in data) == (winner == 1), "the case data mixes both answers")
        verdicts.append(verdict)
    _count(figures, engine, verdicts)
    problems = [p for v in verdicts for p in v.problems]
    assert problems == [], f"{len(problems)} of {len(verdicts)} tries went wrong: {problems[:5]}"
