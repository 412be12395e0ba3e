"""The databases the suite runs on: SQLite always, PostgreSQL when one is configured.

Each PostgreSQL run works in a schema of its own, so runs never see each other."""

from __future__ import annotations

import os
from dataclasses import dataclass

import sqlalchemy as sa

from engine.store.schemas import create_schema, drop_schema

PG_ENV = "RELIEF_TEST_POSTGRES_URL"
PG_HINT = (f"PostgreSQL tests are skipped: set {PG_ENV}=postgresql://postgres@127.0.0.1:5432/test "
           "(make test and .ci/run set it when the server answers)")
TRUNCATE_ORDER = [
    "case_comments", "task_drafts",  # before the cases and tasks they belong to
    "case_materials", "task_candidates", "task_queue", "human_tasks", "jobs", "timers", "audit_events", "instances",
    "notifications",
    "ledger_entries", "dispatches", "registry_members", "aid_grants",
    "hotline_tickets", "seen_signatures", "worker_credentials",
    "calendar_overrides", "calendar_years", "engine_settings",
    "auth_sessions", "login_throttles", "account_events",
    "case_ratings", "complaints", "public_notices",
    "process_drafts",
    "access_log", "audit_seals", "audit_runs",
    "simulation_scenarios",
    "department_waits",
    "audit_calendars", "audit_event_calendars", "audit_case_checks",
    "applicant_codes",
    "stats_cases", "stats_case_hours", "stats_case_days", "stats_steps", "stats_open_groups",
    "stats_department_steps", "stats_dispatches",
    "saved_views",  # a view saved by one test must not show in the next one's lists
]


@dataclass
class TestDatabase:
    kind: str
    url: str
    schema: str | None = None

    def truncate(self) -> None:
        """Remove everything a test may have made except users and deployed definitions."""
        engine = sa.create_engine(self.url)
        with engine.begin() as conn:
            if self.kind == "postgresql":
                conn.execute(sa.text("TRUNCATE " + ", ".join(TRUNCATE_ORDER) + " CASCADE"))
            else:
                for table in TRUNCATE_ORDER:
                    conn.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
        engine.dispose()

    def drop(self) -> None:
        if self.schema:
            drop_schema(os.environ[PG_ENV], self.schema)


def sqlite_database(tmp_dir: str) -> TestDatabase:
    return TestDatabase("sqlite", f"sqlite:///{tmp_dir}/relief-test.sqlite")


def postgres_database() -> TestDatabase | None:
    base = os.environ.get(PG_ENV)
    if not base:
        return None
    schema, url = create_schema(base, "relief_test")
    return TestDatabase("postgresql", url, schema)
