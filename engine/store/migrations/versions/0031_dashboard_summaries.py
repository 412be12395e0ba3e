"""dashboard summaries: tables of counts the dashboard's charts read instead of every case
and step in scope (issue 14: p95 ≤ 300 ms a chart at a million cases), kept by triggers in
the writing transaction (engine/store/summaries.py) and filled here from the base tables

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 18:10:00
"""
import sqlalchemy as sa
from alembic import op

from engine.store import summaries

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def _key(name, type_):
    return sa.Column(name, type_, nullable=False, primary_key=True, autoincrement=False)


def _count(name):
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _scope():
    return [_key("level", sa.SmallInteger()), _key("dept", sa.String(80)), _key("scope", sa.String(40))]


def _case_keys():
    return [_key("case_day", sa.Date()), _key("case_process", sa.String(120))]


def upgrade():
    op.create_table("stats_cases", *_scope(), _key("day", sa.Date()), _key("process_key", sa.String(120)),
                    _key("channel", sa.String(20)), _key("status", sa.String(20)), _count("n"))
    op.create_table("stats_case_hours", *_scope(), _key("day", sa.Date()), _key("process_key", sa.String(120)),
                    _key("hour", sa.SmallInteger()), _count("n"))
    op.create_table("stats_case_days", *_scope(), _key("day", sa.Date()), _key("process_key", sa.String(120)),
                    _count("n"))
    op.create_table("stats_steps", *_scope(), _key("created_day", sa.Date()),
                    _key("name", sa.String(200)), _key("state", sa.String(20)), _count("n"), _count("with_deadline"),
                    _count("met"), sa.Column("days", sa.Float(), nullable=False))
    op.create_table("stats_open_groups", *_scope(), _key("created_day", sa.Date()),
                    _key("group", sa.String(120)), _key("due_day", sa.Date()), _count("n"))
    op.create_table("stats_department_steps", *_scope(), *_case_keys(), _key("grp", sa.String(120)),
                    _key("state", sa.String(20)), _key("created_day", sa.Date()),
                    _key("ended_day", sa.Date()), _key("due_day", sa.Date()), _count("n"), _count("with_deadline"),
                    _count("met"))
    op.create_table("stats_dispatches", *_scope(), *_case_keys(), _key("target", sa.String(120)), _count("n"))
    conn = op.get_bind()
    summaries.create_triggers(conn)
    summaries.rebuild(conn)
    if conn.dialect.name == "postgresql":
        for table in summaries.TABLES:
            op.execute(f"ANALYZE {table}")


def downgrade():
    summaries.drop_triggers(op.get_bind())
    for table in reversed(summaries.TABLES):
        op.drop_table(table)
