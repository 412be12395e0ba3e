"""The SQL a request or an engine query really issues, and PostgreSQL's plan of each.

`capture(db)` records every statement the engine's database sends (a SQLAlchemy
`before_cursor_execute` listener on its write and read engines, so it sees the SQL as
issued, parameters included); `explain` asks PostgreSQL for the plan of one of them and
`scans` lists the plan's scans of tables. Used by bench/pages.py and by
tests/engine/test_query_plans.py; never by product code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

# The tables whose sequential scan grows with the number of cases.
BIG_TABLES = ("human_tasks", "instances", "task_candidates", "task_queue", "dispatches", "audit_events", "timers",
              "jobs")


@dataclass
class Statement:
    sql: str
    params: Any


@dataclass
class Captured:
    statements: list[Statement] = field(default_factory=list)

    def selects(self) -> list[Statement]:
        """The SELECTs (the reads whose plans matter), without repeats of the same text and parameters."""
        seen, out = set(), []
        for st in self.statements:
            key = (st.sql, repr(st.params))
            if st.sql.lstrip().upper().startswith("SELECT") and key not in seen:
                seen.add(key)
                out.append(st)
        return out


@contextmanager
def capture(db: Any) -> Iterator[Captured]:
    """Record the statements `db` (an engine.store.db.Database) runs inside the block."""
    got = Captured()

    def listener(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        got.statements.append(Statement(statement, parameters))

    engines = {db.engine, db.read_engine}
    for e in engines:
        sa.event.listen(e, "before_cursor_execute", listener)
    try:
        yield got
    finally:
        for e in engines:
            sa.event.remove(e, "before_cursor_execute", listener)


def explain(conn: sa.Connection, st: Statement, analyze: bool = False, avoid_seq: bool = False) -> dict[str, Any]:
    """PostgreSQL's plan of `st` (FORMAT JSON; with ANALYZE the real times and rows).

    `avoid_seq`: plan with `enable_seqscan` off, so that a sequential scan is left only where
    no index can serve the query at all, whatever the table's size: the planner rightly
    reads a table of a few thousand rows whole, which says nothing about a million."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    if avoid_seq:
        conn.exec_driver_sql("SET enable_seqscan = off")
    try:
        plan = conn.exec_driver_sql(f"EXPLAIN ({options}) {st.sql}", st.params or {}).scalar()
    finally:
        if avoid_seq:
            conn.exec_driver_sql("RESET enable_seqscan")
    return plan[0] if isinstance(plan, list) else plan


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of a plan, depth first."""
    stack = [plan.get("Plan", plan)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.get("Plans", [])))


def scans(plan: dict[str, Any]) -> list[str]:
    """'Node Type on table [using index]' of each scan in the plan."""
    out = []
    for node in nodes(plan):
        if "Relation Name" in node:
            index = f" using {node['Index Name']}" if node.get("Index Name") else ""
            out.append(f"{node['Node Type']} on {node['Relation Name']}{index}")
    return out


def seq_scans(plan: dict[str, Any], tables: tuple[str, ...] = BIG_TABLES) -> list[str]:
    """The tables of `tables` the plan reads whole."""
    return [n["Relation Name"] for n in nodes(plan)
            if n.get("Node Type") == "Seq Scan" and n.get("Relation Name") in tables]


def sorts_rows(plan: dict[str, Any]) -> bool:
    """Whether the plan sorts rows (the order not served by an index)."""
    return any(n.get("Node Type") in ("Sort", "Incremental Sort") for n in nodes(plan))
