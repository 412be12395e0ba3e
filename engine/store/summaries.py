"""Keeping the dashboard's summary tables (engine/store/summary_models.py) in step.

Triggers on `instances`, `human_tasks`, `task_candidates` and `dispatches` add a row's
contribution (+1) when it is written and take its old one back (-1) when it changes or
goes, with `INSERT … ON CONFLICT DO UPDATE` increments: in the writing transaction, whatever
writes the row (the commands' Core statements, the ORM, a migration of a case), and without
lost counts between concurrent transactions (PostgreSQL locks the summary row for the
increment). The backfill (migration 0031, bench/seed.py after a bulk load that bypasses
triggers) groups the same expressions over the whole tables, so trigger and backfill
cannot disagree on what a row counts for.

A trigger reads the other table's current row (a candidate row's task, a task's candidate
rows), so whichever order a statement changes a task and its candidates in, each
candidate row is counted exactly while both say "open with a deadline".

Cases' region, start and process never change (engine/store/models.py), nor do dispatch
rows: the department-step and dispatch rows copy them from the case when written.
SQLite note: `batch_alter_table` on one of the four tables recreates it without its
triggers: a later migration doing so must call `create_triggers` again."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from engine.store import summary_models

TABLES = ("stats_cases", "stats_case_hours", "stats_case_days", "stats_steps", "stats_open_groups",
          "stats_department_steps", "stats_dispatches")
DONE_OR_OPEN = "({r}.state = 'open' OR ({r}.state = 'completed' AND {r}.ended_at IS NOT NULL))"
DEPARTMENT_STEP = "substr({r}.candidate_groups ->> 0, 1, 5) = 'dept:'"


@dataclass(frozen=True)
class Dialect:
    """The SQL that differs between PostgreSQL and SQLite."""

    postgres: bool

    def day(self, moment: str) -> str:
        """The Asia/Shanghai calendar day of a UTC moment."""
        if self.postgres:
            return f"(({moment}) AT TIME ZONE 'Asia/Shanghai')::date"
        return f"date({moment}, '+8 hours')"

    def hour(self, moment: str) -> str:
        if self.postgres:
            return f"CAST(extract(hour from ({moment}) AT TIME ZONE 'Asia/Shanghai') AS integer)"
        return f"CAST(strftime('%H', {moment}, '+8 hours') AS INTEGER)"

    def days(self, start: str, end: str) -> str:
        """Calendar days (fractional) from `start` to `end`, as the durations chart had them."""
        if self.postgres:
            return f"extract(epoch from ({end}) - ({start})) / 86400.0"
        return f"(julianday({end}) - julianday({start}))"

    @property
    def no_day(self) -> str:
        return "DATE '9999-12-31'" if self.postgres else "'9999-12-31'"

    def distinct(self, old: str, new: str) -> str:
        """SQL: the two values differ (json has no equality on PostgreSQL: compared as text)."""
        if not self.postgres:
            return f"{old} IS NOT {new}"
        if old.endswith("candidate_groups"):
            old, new = f"{old}::text", f"{new}::text"
        return f"{old} IS DISTINCT FROM {new}"


# The levels a row is counted at (engine/store/summary_models.py LEVELS): its region cut at
# 4, 6, 9 and 12 digits (a shorter code as it is).
LEVELS = "(" + " UNION ALL ".join(f"SELECT {level} AS level, {cut} AS len"
                                  for level, cut in summary_models.LEVELS) + ") lv"
# The departments a row is counted for: '' (everyone's count) and each department its case
# was dispatched to (that department's staff see those cases only): every case's, for the
# backfill, joined on `case_id`; one case's, for a trigger.
ALL_SCOPES = ("(SELECT id AS case_id, '' AS dept FROM instances UNION ALL "
              "SELECT DISTINCT instance_id, target FROM dispatches WHERE kind = 'department') dp")


def case_scopes(case: str) -> str:
    """The departments of the case whose id is the expression `case` (see ALL_SCOPES)."""
    return (f"(SELECT '' AS dept UNION ALL SELECT DISTINCT target FROM dispatches "  # noqa: S608 - fixed text
            f"WHERE instance_id = {case} AND kind = 'department') dp")


@dataclass(frozen=True)
class Contribution:
    """What one source row adds to a summary table: for each department scope of its case
    (`case_id`) and at each level of its region `region`, key and measure expressions over
    the aliases in `source`, counted where `where` holds."""

    table: str
    region: str  # the expression of the region counted by
    case_id: str  # the expression of the row's case
    keys: tuple[tuple[str, str], ...]  # (column, expression), after level, dept and scope
    measures: tuple[tuple[str, str], ...]
    source: str  # FROM clause of the backfill; the aliases the expressions use
    where: str

    @property
    def all_keys(self) -> tuple[tuple[str, str], ...]:
        region = f"coalesce({self.region}, '')"
        return (("level", "lv.level"), ("dept", "dp.dept"), ("scope", f"substr({region}, 1, lv.len)")) + self.keys

    def backfill(self) -> str:
        """One INSERT … SELECT … GROUP BY over the whole source, in key order: a reader's
        rows (one level and scope, a range of days) then sit on a few adjacent pages, not
        one page each (measured: 8,590 pages read from disk for a city's 19,000 rows)."""
        keys = ", ".join(e for _, e in self.all_keys)
        return (f"INSERT INTO {self.table} ({', '.join(_q(c) for c, _ in self.all_keys + self.measures)}) "  # noqa: S608 - fixed text of this module, no input
                f"SELECT {keys}, {', '.join(f'sum({e})' for _, e in self.measures)} "
                f"FROM {self.source} JOIN {ALL_SCOPES} ON dp.case_id = {self.case_id} CROSS JOIN {LEVELS} "
                f"WHERE {self.where} GROUP BY {keys} ORDER BY {keys}")

    def apply(self, sign: int, source: str | None, where: str, aliases: dict[str, str], scopes: str) -> str:
        """The increment a trigger makes: the expressions over the trigger's row(s) (`aliases`
        renames the backfill's aliases, e.g. r → NEW), `source` the FROM clause still needed,
        `scopes` the departments counted for (`case_scopes`, or one)."""
        def sub(text: str) -> str:
            for alias, row in aliases.items():
                text = re.sub(rf"\b{alias}\.", f"{row}.", text)
            return text
        cols = self.all_keys + self.measures
        keys = ", ".join(sub(e) for _, e in self.all_keys)
        sums = ", ".join(f"sum({sign} * ({sub(e)}))" for _, e in self.measures)
        update = ", ".join(f"{_q(c)} = {self.table}.{_q(c)} + excluded.{_q(c)}" for c, _ in self.measures)
        return (f"INSERT INTO {self.table} ({', '.join(_q(c) for c, _ in cols)}) SELECT {keys}, {sums}"  # noqa: S608 - fixed text of this module, no input
                f" FROM {source + ' CROSS JOIN ' if source else ''}{scopes} CROSS JOIN {LEVELS} "
                f"WHERE {sub(where)} GROUP BY {keys} "
                f"ON CONFLICT ({', '.join(_q(c) for c, _ in self.all_keys)}) DO UPDATE SET {update}")


def _q(column: str) -> str:
    return '"group"' if column == "group" else column


def contributions(d: Dialect) -> dict[str, Contribution]:
    """Every summary table's contribution, in the aliases r (the row), i (its case), c (a
    candidate row), s (a dispatch)."""
    case_keys = (("case_day", d.day("i.started_at")), ("case_process", "coalesce(i.process_key, '')"))
    done = "r.state = 'completed'"
    day, process = ("day", d.day("r.started_at")), ("process_key", "coalesce(r.process_key, '')")
    return {
        "cases": Contribution(
            "stats_cases", "r.region", "r.id",
            (day, process, ("channel", "coalesce(r.channel, '')"), ("status", "r.status")),
            (("n", "1"),), "instances r", "1 = 1"),
        "hours": Contribution("stats_case_hours", "r.region", "r.id",
                              (day, process, ("hour", d.hour("r.started_at"))), (("n", "1"),), "instances r", "1 = 1"),
        "days": Contribution("stats_case_days", "r.region", "r.id", (day, process), (("n", "1"),), "instances r",
                             "1 = 1"),
        "steps": Contribution(
            "stats_steps", "r.region", "r.instance_id",
            (("created_day", d.day("r.created_at")), ("name", "coalesce(r.name, '')"), ("state", "r.state")),
            (("n", "1"), ("with_deadline", f"CASE WHEN {done} AND r.due_at IS NOT NULL THEN 1 ELSE 0 END"),
             ("met", f"CASE WHEN {done} AND r.ended_at <= r.due_at THEN 1 ELSE 0 END"),
             ("days", f"CASE WHEN {done} THEN {d.days('r.created_at', 'r.ended_at')} ELSE 0 END")),
            "human_tasks r", DONE_OR_OPEN.format(r="r")),
        "groups": Contribution(
            "stats_open_groups", "r.region", "r.instance_id",
            (("created_day", d.day("r.created_at")), ("group", 'c."group"'), ("due_day", d.day("r.due_at"))),
            (("n", "1"),), "task_candidates c JOIN human_tasks r ON r.id = c.task_id",
            "r.state = 'open' AND r.due_at IS NOT NULL"),
        "departments": Contribution(
            "stats_department_steps", "r.region", "r.instance_id",
            case_keys + (("grp", "r.candidate_groups ->> 0"), ("state", "r.state"),
                         ("created_day", d.day("r.created_at")),
                         ("ended_day", f"CASE WHEN {done} THEN {d.day('r.ended_at')} ELSE {d.no_day} END"),
                         ("due_day", f"CASE WHEN r.state = 'open' AND r.due_at IS NOT NULL "
                                     f"THEN {d.day('r.due_at')} ELSE {d.no_day} END")),
            (("n", "1"), ("with_deadline", f"CASE WHEN {done} AND r.due_at IS NOT NULL THEN 1 ELSE 0 END"),
             ("met", f"CASE WHEN {done} AND r.ended_at <= r.due_at THEN 1 ELSE 0 END")),
            "human_tasks r JOIN instances i ON i.id = r.instance_id",
            f"{DEPARTMENT_STEP.format(r='r')} AND {DONE_OR_OPEN.format(r='r')}"),
        "dispatches": Contribution(
            "stats_dispatches", "i.region", "s.instance_id", case_keys + (("target", "s.target"),), (("n", "1"),),
            "(SELECT DISTINCT instance_id, target FROM dispatches WHERE kind = 'department') s "
            "JOIN instances i ON i.id = s.instance_id", "1 = 1"),
    }


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    event: str  # INSERT, DELETE, UPDATE
    columns: tuple[str, ...]  # UPDATE: the columns whose change matters
    statements: tuple[str, ...]


def triggers(d: Dialect) -> list[Trigger]:
    """The triggers that keep the summaries (see the module's docstring)."""
    c = contributions(d)
    steps, groups, depts, disp = c["steps"], c["groups"], c["departments"], c["dispatches"]

    def of_case(row: str, sign: int, *names: str) -> tuple[str, ...]:
        return tuple(c[name].apply(sign, None, "1 = 1", {"r": row}, case_scopes(f"{row}.id")) for name in names)

    def of_task(row: str, sign: int) -> tuple[str, ...]:
        """A task row's own contributions, and its candidate rows'."""
        scopes = case_scopes(f"{row}.instance_id")
        return (steps.apply(sign, None, steps.where, {"r": row}, scopes),
                depts.apply(sign, "instances i", f"i.id = {row}.instance_id AND {depts.where}", {"r": row}, scopes),
                groups.apply(sign, "task_candidates c", f"c.task_id = {row}.id AND {groups.where}", {"r": row},
                             scopes))

    def of_candidate(row: str, sign: int) -> str:
        scopes = case_scopes(f"(SELECT t.instance_id FROM human_tasks t WHERE t.id = {row}.task_id)")  # noqa: S608 - fixed text
        return groups.apply(sign, "human_tasks r", f"r.id = {row}.task_id AND {groups.where}", {"c": row}, scopes)

    def of_dispatch(row: str, sign: int) -> tuple[str, ...]:
        """The first dispatch of a case to a department (the last one gone): the case counts
        as dispatched there for each of its department scopes, and the case with all its
        rows counts for that department's scope."""
        first = (f"{row}.kind = 'department' AND NOT EXISTS (SELECT 1 FROM dispatches o "  # noqa: S608 - fixed text
                 f"WHERE o.instance_id = {row}.instance_id AND o.target = {row}.target AND o.kind = 'department' "
                 f"AND o.id <> {row}.id)")
        case, department = f"{row}.instance_id", f"(SELECT {row}.target AS dept) dp"
        dispatched = disp.apply(sign, "instances i", f"{first} AND i.id = {case} AND dp.dept <> {row}.target",
                                {"s": row}, case_scopes(case))
        mine = [c[name].apply(sign, "instances r", f"{first} AND r.id = {case}", {}, department)
                for name in ("cases", "hours", "days")]
        mine += [c[name].apply(sign, c[name].source, f"{first} AND r.instance_id = {case} AND {c[name].where}", {},
                               department) for name in ("steps", "groups", "departments")]
        targets = ("(SELECT DISTINCT instance_id, target FROM dispatches WHERE kind = 'department' "  # noqa: S608 - fixed text
                   f"AND instance_id = {case}) s JOIN instances i ON i.id = s.instance_id")
        mine.append(disp.apply(sign, targets, first, {}, department))
        if sign < 0:  # the department's own dispatch row is gone already: its count under itself
            mine.append(disp.apply(sign, "instances i", f"{first} AND i.id = {case}", {"s": row}, department))
        return (dispatched, *mine)

    every, started = ("cases", "hours", "days"), ("region", "process_key", "started_at")
    task_columns = ("instance_id", "region", "name", "state", "created_at", "ended_at", "due_at", "candidate_groups")
    return [
        Trigger("stats_instances_insert", "instances", "INSERT", (), of_case("NEW", 1, *every)),
        Trigger("stats_instances_delete", "instances", "DELETE", (), of_case("OLD", -1, *every)),
        Trigger("stats_instances_update", "instances", "UPDATE", (*started, "channel", "status"),
                of_case("OLD", -1, "cases") + of_case("NEW", 1, "cases")),
        Trigger("stats_instances_moved", "instances", "UPDATE", started,
                of_case("OLD", -1, "hours", "days") + of_case("NEW", 1, "hours", "days")),
        Trigger("stats_tasks_insert", "human_tasks", "INSERT", (), of_task("NEW", 1)),
        Trigger("stats_tasks_delete", "human_tasks", "DELETE", (), of_task("OLD", -1)),
        Trigger("stats_tasks_update", "human_tasks", "UPDATE", task_columns, of_task("OLD", -1) + of_task("NEW", 1)),
        Trigger("stats_candidates_insert", "task_candidates", "INSERT", (), (of_candidate("NEW", 1),)),
        Trigger("stats_candidates_delete", "task_candidates", "DELETE", (), (of_candidate("OLD", -1),)),
        Trigger("stats_candidates_update", "task_candidates", "UPDATE", ("task_id", "group"),
                (of_candidate("OLD", -1), of_candidate("NEW", 1))),
        Trigger("stats_dispatches_insert", "dispatches", "INSERT", (), of_dispatch("NEW", 1)),
        Trigger("stats_dispatches_delete", "dispatches", "DELETE", (), of_dispatch("OLD", -1)),
    ]


def _ddl(d: Dialect, t: Trigger) -> list[str]:
    when = ""
    if t.columns:
        changed = " OR ".join(d.distinct(f"OLD.{_q(col)}", f"NEW.{_q(col)}") for col in t.columns)
        when = f" WHEN ({changed})"
    if d.postgres:
        of = f" OF {', '.join(_q(col) for col in t.columns)}" if t.columns else ""
        body = ";\n".join(t.statements)
        return [f"CREATE OR REPLACE FUNCTION {t.name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body};\nRETURN NULL;\nEND $$",
                f"DROP TRIGGER IF EXISTS {t.name} ON {t.table}",
                f"CREATE TRIGGER {t.name} AFTER {t.event}{of} ON {t.table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {t.name}()"]
    body = "".join(f"{s};\n" for s in t.statements)
    return [f"DROP TRIGGER IF EXISTS {t.name}", f"CREATE TRIGGER {t.name} AFTER {t.event} ON {t.table}{when}\n"
            f"BEGIN\n{body}END"]


def create_triggers(conn: sa.Connection) -> None:
    """Create (or replace) every trigger on `conn`'s database."""
    d = Dialect(conn.dialect.name == "postgresql")
    for trigger in triggers(d):
        for statement in _ddl(d, trigger):
            conn.exec_driver_sql(statement)


def drop_triggers(conn: sa.Connection) -> None:
    """Remove the triggers (downgrade)."""
    d = Dialect(conn.dialect.name == "postgresql")
    for t in triggers(d):
        if d.postgres:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {t.name} ON {t.table}")
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {t.name}()")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {t.name}")


def rebuild(conn: sa.Connection) -> None:
    """Empty the summary tables and count them again from the base tables (the migration's
    backfill; after a bulk load that did not fire the triggers)."""
    d = Dialect(conn.dialect.name == "postgresql")
    for table in TABLES:
        conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - a name of TABLES
    for contribution in contributions(d).values():
        conn.exec_driver_sql(contribution.backfill())
