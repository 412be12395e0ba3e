"""The statistics dashboard and the public progress query on a seeded PostgreSQL database
(bench/seed.py), per chart, against issue 14's targets.

    python bench/dashboard.py --url postgresql://postgres@127.0.0.1:5432/bench_scale [--repeat 20]

1. Each chart's query alone (engine/portal/stats.py and stats_breakdowns.py `CHARTS`, the
   functions `Engine.dashboard` runs), for readers of growing scope: a township leader, a
   county's department case worker, the county's leader (Jiangyin 320281, the demo
   accounts' county) and a city's leader (Wuxi 3202: seven of the seeder's thirteen
   counties). p50 and p95 in ms over `--repeat` runs after a warm-up, and p95 against the
   300 ms target.
2. The progress query (`Engine.progress`: application number plus the last four of the ID
   number) for random cases, right and wrong second factors: p50, p95 against 50 ms.
3. The whole dashboard as the app serves it (`GET /dashboard/data.json` through the Flask
   test client, production mode, signed in as the demo leader) and the resident memory of
   this one process after serving all of the above (target ≤ 250 MB).

Prints the machine's load average before and after. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RELIEF_DATA_KEY", "bench1:YmVuY2gtb25seS1kYXRhLWtleS0zMi1ieXRlcyEhISE")

import sqlalchemy as sa  # noqa: E402

from bench.pages import BASE, make_app, p, signed_in  # noqa: E402
from engine.auth import Principal  # noqa: E402

CHART_TARGET, PROGRESS_TARGET, RSS_TARGET = 300.0, 50.0, 250.0  # ms, ms, MB (issues 14 and 15)
READERS = [
    Principal("bench-township-leader", ("leader",), ("leader",), None, "320281001"),
    Principal("bench-dept-civil-affairs", ("caseworker",), ("dept:civil-affairs",), "civil-affairs", "320281"),
    Principal("bench-county-leader", ("leader",), ("leader",), None, "320281"),
    Principal("bench-city-leader", ("leader",), ("leader",), None, "320200"),
]


def rss_mb() -> float:
    """Resident memory of this process now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` calls after one warm-up call."""
    call()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        out.append((time.perf_counter() - t) * 1000)
    return out


def line(label: str, ms: list[float], target: float) -> str:
    return f"{label:<52} {p(ms, 50):8.1f} {p(ms, 95):8.1f}  {p(ms, 95) / target:5.2f}"


def charts(engine: Any, since: dt.date, repeat: int) -> list[str]:
    """Each chart's query for each reader: a printed line each."""
    from engine.portal import stats, stats_breakdowns

    every = {**stats.CHARTS, **stats_breakdowns.CHARTS}
    now = engine.clock.now()
    calendar = engine.calendar.current()
    out = []
    for who in READERS:
        with engine.db.reading() as s:
            s.execute(sa.text("SET LOCAL jit = off"))  # as Engine.dashboard does
            period = stats.period_of(s, who, stats.midnight(since), None, now,
                                     lambda a, b, r=who.region: calendar.working_days_between(a, b, r))
            cases = stats.cases_by_status(s, period)["cases"]
            out.append(f"{who.username} (region {who.region}, {cases} cases in the period):")
            for name, chart in every.items():
                out.append(line(f"  {name}", timed(lambda c=chart, q=period: c(s, q), repeat), CHART_TARGET))
        print("\n".join(out[-len(every) - 1:]), flush=True)
    return out


def progress(engine: Any, url: str, repeat: int) -> list[str]:
    """The progress query for random cases, with their right second factor and a wrong one."""
    from engine.store.models import Instance

    with sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)).connect() as conn:
        keys = conn.execute(sa.text("SELECT business_key FROM instances TABLESAMPLE SYSTEM (1) "
                                    "WHERE business_key LIKE 'BENCH-%' LIMIT 500")).scalars().all()
    picked = random.Random(5).sample(list(keys), min(len(keys), repeat + 1))
    asks = []
    with engine.db.reading() as s:
        for key in picked:
            case = s.scalar(sa.select(Instance).where(Instance.business_key == key))
            data = engine.case_data(case)
            secret = str(data.get("applicant_id_number") or data.get("applicant_phone") or "0000")[-4:]
            asks.append((key, secret))
    it = iter(asks * 3)
    right = timed(lambda: engine.progress(*next(it)), repeat)
    wrong = timed(lambda: engine.progress(next(it)[0], "0000"), repeat)
    found = sum(engine.progress(k, s) is not None for k, s in asks[:5])
    return [line(f"progress, right second factor ({found}/5 found)", right, PROGRESS_TARGET),
            line("progress, wrong second factor", wrong, PROGRESS_TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a database seeded by bench/seed.py")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--months", type=int, default=12, choices=(3, 6, 12, 24))
    args = parser.parse_args()
    app = make_app(args.url)
    engine = app.extensions["relief_engine"]
    with engine.db.reading() as s:
        total = s.scalar(sa.text("SELECT count(*) FROM instances"))
    today = engine.clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    month = today.year * 12 + today.month - 1 - (args.months - 1)
    since = dt.date(month // 12, month % 12 + 1, 1)
    print(f"database: {total} cases; period from {since} ({args.months} months); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"{args.repeat} runs each after 1 warm-up; rss at start {rss_mb():.0f} MB")
    print(f"{'query':<52} {'p50 ms':>8} {'p95 ms':>8}  p95/target")
    charts(engine, since, args.repeat)
    print("\n".join(progress(engine, args.url, args.repeat)))
    client = signed_in(app, "leader")
    path = f"/dashboard/data.json?months={args.months}"
    ms = timed(lambda: client.get(path, base_url=BASE), max(3, args.repeat // 4))
    print(line("GET /dashboard/data.json as leader (all charts)", ms, CHART_TARGET))
    rss = rss_mb()
    print(f"resident memory of this server process: {rss:.0f} MB ({rss / RSS_TARGET:.2f} of {RSS_TARGET:.0f} MB)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
