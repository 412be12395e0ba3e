"""bench/seed.py's bulk writer, inside PostgreSQL: the clones of the engine-run sample are
made by `INSERT … SELECT` from the sample's own rows, so no case row passes through Python.

Python draws each clone's spread (its template, start, region, department, channel, green
channel, applicant name) with the seeder's random generator and COPYs that small table
(one row a case); then, a chunk of cases at a time, one statement per table writes every
clone's rows of that table: the template's rows with new ids, the clone's values and every
moment shifted by the clone's own shift. The first version built each row in Python and
COPYed it (about 1,200 cases a second on an idle machine, a tenth of that under load: well
over an hour for a million); here the database does the work it would do for COPY anyway
(index upkeep) and little else.

Ids a clone's rows share are derived, not drawn: a task's new id is md5(case id ‖ old id)
as a uuid, so its candidate rows name it without a look-up table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy as sa

from engine.store import models, records  # noqa: F401 - the case tables' metadata
from engine.store.base import Base

# Every row column of each table that is not copied from the template as it is (below the
# moments, shifted, and `instance_id`, the clone's): an SQL expression over the template
# row `t` and the clone `c`.
OVERRIDES: dict[str, dict[str, str]] = {
    "instances": {
        "id": "c.id", "region": "c.region", "started_by": "c.started_by", "channel": "c.channel", "green": "c.green",
        "applicant_name": "c.applicant_name",
        "business_key": "'BENCH-' || upper(left(t.process_key, 2)) || '-' || lpad(c.n::text, 8, '0')"},
    "human_tasks": {
        "id": "md5(c.id || t.id)::uuid::text", "region": "c.region", "green": "c.green",
        "candidate_groups": "regexp_replace(t.candidate_groups::text, '\"dept:[^\"]*\"', "
                            "'\"dept:' || c.department || '\"', 'g')::json",
        # An open task nobody holds is claimed in ASSIGNED_SHARE of the clones, by the demo
        # account of its first group (the department's account for a department's step).
        "assignee": "CASE WHEN t.state = 'open' AND t.assignee IS NULL AND random() < %(assigned)s THEN "
                    "coalesce((%(holders)s::jsonb) ->> (t.candidate_groups ->> 0), "
                    "'dept-' || c.department) ELSE t.assignee END"},
    "task_candidates": {
        "task_id": "md5(c.id || t.task_id)::uuid::text", "region": "c.region",
        "group": "CASE WHEN t.\"group\" LIKE 'dept:%%' THEN 'dept:' || c.department ELSE t.\"group\" END"},
    "timers": {"id": "gen_random_uuid()::text", "task_id": "gen_random_uuid()::text"},
    "jobs": {"id": "gen_random_uuid()::text", "task_id": "gen_random_uuid()::text",
             "case_id": "CASE WHEN t.case_id IS NULL THEN NULL ELSE c.id END"},
    "dispatches": {"target": "CASE WHEN t.kind = 'department' THEN c.department ELSE t.target END"},
    "ledger_entries": {"business_key": "'BENCH-' || upper(left(c.process_key, 2)) || '-' || lpad(c.n::text, 8, '0')"},
}
CLONE_COLUMNS = {"n": "integer", "tpl": "integer", "id": "text", "shift": "interval", "region": "text",
                 "department": "text", "green": "boolean", "channel": "text", "applicant_name": "text",
                 "started_by": "text", "process_key": "text"}


def _select(table: str) -> tuple[list[str], str]:
    """The columns `table`'s clone rows are written to and the SELECT list that makes them."""
    columns, exprs = [], []
    overrides = OVERRIDES.get(table, {})
    for col in Base.metadata.tables[table].columns:
        name = col.name
        if name == "id" and isinstance(col.type, sa.Integer):
            continue  # its sequence numbers the clones
        if name in overrides:
            expr = overrides[name]
        elif name == "instance_id":
            expr = "c.id"
        elif name == "idempotency_key":
            expr = "'bench-' || md5(c.id || t.idempotency_key)"
        elif _is_moment(col):
            expr = f't."{name}" + c.shift'
        else:
            expr = f't."{name}"'
        columns.append(f'"{name}"')
        exprs.append(expr)
    return columns, ", ".join(exprs)


def _is_moment(col: sa.Column) -> bool:
    """A date-and-time column (the clone's rows keep their distance to its start)."""
    impl = getattr(col.type, "impl", col.type)
    return isinstance(impl, sa.DateTime)


def load_samples(conn: psycopg.Connection, tables: Sequence[str], instance_ids: list[str]) -> None:
    """TEMP tables `tpl_<table>` holding the sample cases' rows, each with its template number."""
    conn.execute("CREATE TEMP TABLE tpl_map (instance_id text PRIMARY KEY, tpl integer) ON COMMIT PRESERVE ROWS")
    with conn.cursor() as cur, cur.copy("COPY tpl_map (instance_id, tpl) FROM STDIN") as copy:
        for n, instance_id in enumerate(instance_ids):
            copy.write_row((instance_id, n))
    for table in tables:
        if table == "task_candidates":  # through their task
            source = ("SELECT m.tpl, x.* FROM task_candidates x JOIN human_tasks h ON h.id = x.task_id "
                      "JOIN tpl_map m ON m.instance_id = h.instance_id")
        else:
            key = "id" if table == "instances" else "instance_id"
            source = f"SELECT m.tpl, x.* FROM {table} x JOIN tpl_map m ON m.instance_id = x.{key}"  # noqa: S608
        conn.execute(f"CREATE TEMP TABLE tpl_{table} AS {source}")  # noqa: S608 - fixed names
        conn.execute(f"CREATE INDEX ON tpl_{table} (tpl)")  # noqa: S608


def write_spread(conn: psycopg.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """The clones' spread (one row a case) into TEMP table `clones`."""
    names = list(CLONE_COLUMNS)
    conn.execute("CREATE TEMP TABLE clones (" + ", ".join(f"{k} {v}" for k, v in CLONE_COLUMNS.items())
                 + ") ON COMMIT PRESERVE ROWS")
    with conn.cursor() as cur, cur.copy(f"COPY clones ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[k] for k in names])
    conn.execute("CREATE INDEX ON clones (n)")
    conn.execute("ANALYZE clones")


def insert_chunk(conn: psycopg.Connection, tables: Sequence[str], first: int, last: int,
                 params: dict[str, Any]) -> None:
    """Write the rows of clones `first` … `last - 1` into every table, in insert order."""
    for table in tables:
        columns, select = _select(table)
        conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} "  # noqa: S608 - fixed names
                     f"FROM clones c JOIN tpl_{table} t ON t.tpl = c.tpl WHERE c.n >= %(first)s AND c.n < %(last)s",
                     dict(params, first=first, last=last))


def shift_of(now: dt.datetime, started: dt.datetime, age: dt.timedelta) -> dt.timedelta:
    """How far a clone's moments lie from its template's: it starts `age` before `now`."""
    return (now - age) - started


def drop_secondary_indexes(conn: psycopg.Connection, tables: Sequence[str]) -> list[str]:
    """Drop the indexes of `tables` that back no constraint; their definitions, to build
    again after the load. Building an index once from sorted rows is many times cheaper than
    keeping it row by row (random uuids touch a different page each time)."""
    rows = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND t.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", (list(tables),)).fetchall()
    for name, _ in rows:
        conn.execute(f"DROP INDEX {name}")  # noqa: S608 - names from the catalogue
    return [ddl for _, ddl in rows]


def build_indexes(conn: psycopg.Connection, definitions: Sequence[str]) -> None:
    """Build the indexes `drop_secondary_indexes` dropped."""
    conn.execute("SET maintenance_work_mem = '256MB'")
    for ddl in definitions:
        conn.execute(ddl)  # noqa: S608 - definitions from the catalogue
