"""dashboard indexes: the statistics dashboard's counts at a million cases (issue 14: every
chart's query p95 ≤ 300 ms) read from covering indexes — a region's cases by start with their
channel, status, process and id; a region's open and completed steps by creation with their
stage, deadline and end; a region's department steps (their first candidate group) with
their case, state and moments (engine/portal/stats.py, stats_breakdowns.py); on PostgreSQL,
statistics of the department-step expression, without which the planner guesses a few
hundred such steps where a county has tens of thousands and joins them to their cases one
by one (not in the models: statistics objects are not compared)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 14:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

DEPARTMENT_STEP = "substr(candidate_groups ->> 0, 1, 5) = 'dept:'"
STATISTICS = "st_human_tasks_department_step"


def upgrade():
    op.create_index("ix_instances_stats", "instances", ["region", "started_at"],
                    postgresql_include=["channel", "status", "process_key", "id"])
    op.create_index("ix_human_tasks_open_stats", "human_tasks", ["region", "created_at"],
                    postgresql_include=["name", "due_at", "instance_id", "id"],
                    postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
    op.create_index("ix_human_tasks_done_stats", "human_tasks", ["region", "created_at"],
                    postgresql_include=["name", "due_at", "ended_at", "instance_id"],
                    postgresql_where=sa.text("state = 'completed'"), sqlite_where=sa.text("state = 'completed'"))
    op.create_index("ix_human_tasks_department_steps", "human_tasks", ["region", sa.text("(candidate_groups ->> 0)")],
                    postgresql_include=["instance_id", "state", "due_at", "created_at", "ended_at", "candidate_groups"],
                    postgresql_where=sa.text(DEPARTMENT_STEP), sqlite_where=sa.text(DEPARTMENT_STEP))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} ON ({DEPARTMENT_STEP.split(' = ')[0]}) "
                   "FROM human_tasks")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    op.drop_index("ix_human_tasks_department_steps", table_name="human_tasks")
    op.drop_index("ix_human_tasks_done_stats", table_name="human_tasks")
    op.drop_index("ix_human_tasks_open_stats", table_name="human_tasks")
    op.drop_index("ix_instances_stats", table_name="instances")
