"""A throwaway PostgreSQL database with N cases for bench/pages.py and the plan test.

    python bench/seed.py --url postgresql://postgres@127.0.0.1:5432/bench_scale [--cases 100000]

1. Deploys the three variants and the demo accounts (api/demo.py: county, township, village
   and department users of Jiangyin 320281), then runs the real engine for a small sample
   of each variant: cases started and walked a different number of steps each (random
   valid form data, the in-process workers, the messages they wait for; the crash suite's
   walker), so that every stage the walk reaches has a case as the engine writes it.
2. Writes the other cases in bulk as clones of those samples, inside PostgreSQL
   (bench/clone_sql.py: INSERT … SELECT from the sample's rows), with the same row
   shapes — instances, human_tasks, task_candidates, timers, jobs, dispatches,
   notifications, ledger entries, audit events — each with its own ids, business key,
   applicant name, region (GB/T 2260 county / township / village codes), channel, green
   channel share, department and times shifted to its own start, so that deadlines spread
   over overdue, due soon and later; a progress bar; it stops early (and says so) before
   the disk has less than --min-free-gb free. Then VACUUM ANALYZE.

BENCH DATA, NOT A RECORD: bulk cases are started_by `bench-bulk` and their audit events
are copies of their sample's, so their hash chains do NOT verify (a chain covers its
case's id); their state documents are their sample's (the diagram shows the sample's
path). Never run this against a database anyone keeps. Not part of the test suite;
tests/engine/test_query_plans.py uses `bulk_clone` for a few thousand rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A fixed bench-only data key unless one is given: bench/pages.py opens the same database.
os.environ.setdefault("RELIEF_DATA_KEY", "bench1:YmVuY2gtb25seS1kYXRhLWtleS0zMi1ieXRlcyEhISE")

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import clone_sql  # noqa: E402

BULK_ACTOR = "bench-bulk"
# Counties of the three variants' places and their neighbours (a city- or province-wide
# installation, issue 15); Jiangyin, where the demo accounts work, has the largest share.
COUNTIES = [("320281", 0.2), ("320282", 0.1), ("320213", 0.08), ("320214", 0.08), ("320205", 0.08),
            ("320206", 0.08), ("320211", 0.08), ("150302", 0.06), ("150303", 0.04), ("150304", 0.04),
            ("370481", 0.08), ("370402", 0.04), ("370403", 0.04)]
TOWNSHIPS, VILLAGES = 20, 25  # per county, per township
LEVELS = [(6, 0.3), (9, 0.4), (12, 0.3)]  # a case's region: county, township or village
CHANNELS = [("window", 0.6), ("online", 0.15), ("hotline", 0.15), ("grid", 0.1)]
GREEN_SHARE = 0.05  # green-channel cases (J-GREEN)
ASSIGNED_SHARE = 0.1  # open tasks someone has claimed
DEPARTMENTS = ["civil-affairs", "education", "hrss", "justice", "housing", "health", "medical-security",
               "emergency", "trade-union", "youth-league", "womens-federation", "red-cross",
               "disabled-federation", "charity-federation"]
# Who holds a claimed task of a group: the demo account of that group (api/demo.py).
HOLDERS = {"county-centre": "centre", "window": "window", "township": "township", "village": "village",
           "grid": "grid", "leader": "leader", "joint-meeting": "joint", "supervisor": "supervisor"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "秀英桂兰玉珍凤华建国明强伟芳敏静丽军勇杰涛磊洋艳娟霞平刚桂芝海燕志红国庆淑珍金凤春梅"
# The tables a case's rows live in, in insert order, and the column naming their case.
CASE_TABLES = [("instances", "id"), ("human_tasks", "instance_id"), ("task_candidates", None),
               ("timers", "instance_id"), ("jobs", "instance_id"), ("dispatches", "instance_id"),
               ("notifications", "instance_id"), ("ledger_entries", "instance_id"), ("audit_events", "instance_id")]
# The tables a bulk load fills (the dashboard's summaries: counted again after it).
ANALYZED = [*(t for t, _ in CASE_TABLES), "task_queue", "stats_cases", "stats_steps", "stats_open_groups",
            "stats_department_steps", "stats_dispatches"]


def pg_url(url: str) -> str:
    """A libpq URL from an SQLAlchemy one."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def region_of(rng: random.Random) -> str:
    """A case's region: a county, one of its townships or one of their villages."""
    code, digits = _pick(rng, COUNTIES), _pick(rng, LEVELS)
    if digits >= 9:
        code += f"{rng.randint(1, TOWNSHIPS):03d}"
    if digits == 12:
        code += f"{rng.randint(1, VILLAGES):03d}"
    return code


@dataclass
class Template:
    """A sample case as the engine wrote it (its rows stay in the database: bench/clone_sql.py)."""

    number: int  # its place in the list, the clones' `tpl`
    instance_id: str
    process_key: str
    running: bool
    started_at: dt.datetime


def load_templates(conn: psycopg.Connection, instance_ids: list[str]) -> list[Template]:
    """The sample cases, in the order given."""
    found = {row[0]: row for row in conn.execute(
        "SELECT id, process_key, status, started_at FROM instances WHERE id = ANY(%s)", (instance_ids,))}
    return [Template(n, i, found[i][1], found[i][2] == "running", found[i][3]) for n, i in enumerate(instance_ids)]


def spread(rng: random.Random, t: Template, n: int, now: dt.datetime) -> dict[str, Any]:
    """Clone `n` of template `t`: its own id, start, region, department, channel, green
    channel and applicant name (one row of bench/clone_sql.py's `clones`)."""
    # Running cases started in the last 40 days (their deadlines fall before and after
    # now); ended ones within the last two years.
    age = dt.timedelta(days=rng.uniform(0, 40) if t.running else rng.uniform(40, 730))
    return {"n": n, "tpl": t.number, "id": str(uuid.uuid4()), "shift": clone_sql.shift_of(now, t.started_at, age),
            "region": region_of(rng), "department": rng.choice(DEPARTMENTS), "green": rng.random() < GREEN_SHARE,
            "channel": _pick(rng, CHANNELS), "started_by": BULK_ACTOR, "process_key": t.process_key,
            "applicant_name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))}


def bulk_clone(url: str, templates: list[Template], cases: int, seed: int = 7, chunk: int = 20_000,
               now: dt.datetime | None = None, progress: Callable[[int], None] | None = None,
               room: Callable[[], bool] | None = None) -> int:
    """Write `cases` clones of `templates` (running ones in proportion to `templates`), in
    transactions of `chunk` cases, inside the database (bench/clone_sql.py); stop early
    when `room()` says the disk is too full. The number of clones written."""
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC)
    tables = [table for table, _ in CASE_TABLES]
    params = {"assigned": ASSIGNED_SHARE, "holders": json.dumps(HOLDERS)}
    with psycopg.connect(pg_url(url)) as conn:
        conn.execute("SELECT setseed(%s)", (seed / 1000,))
        # A throwaway database: no foreign-key checks row by row (the rows are clones of rows
        # that passed them) and no commit waiting for the disk.
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        clone_sql.load_samples(conn, tables, [t.instance_id for t in templates])
        clone_sql.write_spread(conn, [spread(rng, templates[n % len(templates)], n, now) for n in range(cases)])
        indexes = clone_sql.drop_secondary_indexes(conn, tables)
        conn.commit()
        done = 0
        try:
            while done < cases:
                if room is not None and not room():
                    break
                size = min(chunk, cases - done)
                clone_sql.insert_chunk(conn, tables, done, done + size, params)
                conn.commit()
                done += size
                if progress:
                    progress(size)
        finally:
            conn.rollback()
            clone_sql.build_indexes(conn, indexes)
            conn.commit()
    rebuild_queue(url)
    rebuild_summaries(url)
    return done


def rebuild_summaries(url: str) -> None:
    """The dashboard's summary tables (engine/store/summaries.py) counted again from the base
    tables: the clones were written with triggers off (`session_replication_role = replica`)."""
    from engine.store import summaries

    db = sa.create_engine(url)
    try:
        with db.begin() as conn:
            summaries.rebuild(conn)
    finally:
        db.dispose()


def rebuild_queue(url: str) -> None:
    """The work list's queue (engine/task_queue.py) from the cloned task and candidate rows:
    one INSERT … SELECT per region level, cheaper than cloning its rows one by one."""
    from sqlalchemy.orm import Session

    from engine import task_queue

    db = sa.create_engine(url)
    try:
        with Session(db) as s, s.begin():
            task_queue.rebuild(s)
    finally:
        db.dispose()


def analyze(url: str) -> None:
    """Fresh statistics after a bulk load (the planner's estimates depend on them), and the
    visibility map VACUUM keeps: without it PostgreSQL cannot answer a count from an index
    alone (an index-only scan visits every heap page it is not sure of)."""
    with psycopg.connect(pg_url(url), autocommit=True) as conn:
        for table in ANALYZED:
            conn.execute(f"VACUUM (ANALYZE) {table}")  # noqa: S608 - fixed names


def free_gb(path: str = "/") -> float:
    """Free space of the disk the database writes to, in GB (the bench shares it)."""
    return shutil.disk_usage(path).free / 1e9


# the sample: the real engine ------------------------------------------------------------
def run_sample(engine: Any, per_variant: int, seed: int = 7) -> list[str]:
    """Start `per_variant` cases of each variant and walk case j `j` steps (the last ones to
    their end); the ids of the cases made."""
    from tests.reliability.crash_driver import Walker
    from workers.runner import run_pending

    rng = random.Random(seed)
    walker = Walker(engine, rng, None, "bench")
    made: list[str] = []
    for definition in walker.variants():
        for j in range(per_variant):
            with engine.db.reading() as s:
                form = engine.specs.form(s, definition.deployment_id, definition.start_form_key)
            from tests.support.form_data import sample

            inst = engine.start(definition.key, sample(form, rng), f"SAMPLE-{definition.key}-{j}", "bench-window",
                                "320281")
            steps = j if j < per_variant - 2 else 40  # the last two: as far as the walk goes
            for _ in range(steps):
                run_pending(engine, "bench")
                if not _step(walker, inst):
                    break
            run_pending(engine, "bench")
            made.append(inst.id)
    return made


# Answers that move a case on (most cases in an office do): the walk's random form data
# with these put over it, so that the sample reaches the later stages (departments, leaders).
ONWARD = {"materials_complete": "yes", "eligible": "yes", "urgent": "no", "dispatch_route": "dispatch",
          "department_approved": "yes", "meeting_decision": "assign", "refer": "no", "false_information": "no",
          "commitment_signed": "yes", "authorisation_signed": "yes", "duplicate_action": "drop",
          "leader_decision": "agree", "review_decision": "transfer", "review_outcome": "complete",
          "convene_outcome": "decided", "local_verification": "none", "lead_department": "civil-affairs",
          "has_co_departments": "no", "service_need": "no"}


def _step(walker: Any, inst: Any) -> bool:
    """Complete one open task of `inst` (mostly onward) or send what it waits for; whether it moved."""
    from engine.errors import ReliefError, ValidationFailed
    from tests.reliability.crash_driver import staff
    from tests.support.form_data import sample

    tasks = walker.open_tasks(inst.id)
    engine, rng = walker.engine, walker.rng
    try:
        if not tasks:
            return walker.send_messages(inst) > 0
        task = rng.choice(tasks)
        who = staff((task.candidate_groups or ["admin"])[0])
        form, context = engine.task_form(task), engine.task_data(task)
        if task.assignee is None:
            engine.claim(task.id, who)
        for _ in range(5):
            data = sample(form, rng, context) if form is not None else {}
            if rng.random() < 0.9:
                data.update({k: v for k, v in ONWARD.items() if form is not None and k in data})
            try:
                engine.complete(task.id, data, who)
                return True
            except ValidationFailed:
                continue
        return False
    except ReliefError:
        return False


def seed_database(url: str, cases: int, per_variant: int, seed: int = 7, min_free_gb: float = 25.0) -> dict[str, Any]:
    """Migrate, deploy, demo accounts, the engine's sample, the bulk clones (stopping before the
    disk has less than `min_free_gb` free), VACUUM ANALYZE; figures."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from api.cli import deploy_all
    from api.demo import seed as demo_seed
    from engine.service import Engine
    from workers.registry import topics
    from workers.runner import detach

    figures: dict[str, Any] = {}
    t0 = time.perf_counter()
    engine = Engine(url, forms_root=ROOT / "forms", known_topics=topics())
    engine.upgrade_schema()
    deploy_all(engine, ROOT / "workflows", "bench", require_approval=False)
    with engine.db.session() as s:
        demo_seed(s, engine.clock.now())
    sample_ids = run_sample(engine, per_variant, seed)
    detach(engine)
    engine.dispose()
    figures["sample_cases"] = len(sample_ids)
    figures["sample_seconds"] = round(time.perf_counter() - t0, 1)
    t1 = time.perf_counter()
    with psycopg.connect(pg_url(url)) as conn:
        templates = load_templates(conn, sample_ids)
    columns = [TextColumn("bulk cases"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns) as bar:
        job = bar.add_task("clone", total=cases)
        written = bulk_clone(url, templates, cases, seed, progress=lambda k: bar.advance(job, k),
                             room=lambda: free_gb() >= min_free_gb)
    figures["bulk_cases"] = written
    if written < cases:
        figures["stopped"] = f"disk: less than {min_free_gb} GB free after {written} clones"
    figures["bulk_seconds"] = round(time.perf_counter() - t1, 1)
    t2 = time.perf_counter()
    analyze(url)
    figures["vacuum_analyze_seconds"] = round(time.perf_counter() - t2, 1)
    with psycopg.connect(pg_url(url)) as conn:
        figures["instances"] = conn.execute("SELECT count(*) FROM instances").fetchone()[0]
        figures["open_tasks"] = conn.execute("SELECT count(*) FROM human_tasks WHERE state='open'").fetchone()[0]
        figures["audit_events"] = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        figures["database_size"] = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))"
                                                ).fetchone()[0]
    figures["free_gb"] = round(free_gb(), 1)
    figures["total_seconds"] = round(time.perf_counter() - t0, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a THROWAWAY PostgreSQL database (postgresql://…)")
    parser.add_argument("--cases", type=int, default=100_000, help="bulk cases (the sample comes on top)")
    parser.add_argument("--sample", type=int, default=10, help="engine-run sample cases per variant")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-free-gb", type=float, default=25.0, help="stop cloning before the disk has less free")
    args = parser.parse_args()
    if not args.url.startswith("postgresql"):
        parser.error("--url must be a PostgreSQL database (COPY)")
    figures = seed_database(args.url, args.cases, args.sample, args.seed, args.min_free_gb)
    for key, value in figures.items():
        print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
