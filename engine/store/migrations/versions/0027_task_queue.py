"""task queue: the work list in display order, one row per (open task, candidate group,
region level of its case), indexed (group, scope, green, due_at, created_at, task_id), so
that every group, department and region user's list is read from an index in the order it
is shown and its count stops after the cap (issue 10, issue 15; engine/task_queue.py).
Filled from the open tasks and their candidate groups.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

LEVELS = (2, 4, 6, 9, 12)  # engine/task_queue.py LEVELS: the lengths of a user's region prefix


def upgrade():
    op.create_table(
        "task_queue",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("group", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("green", sa.Boolean(), nullable=False),
        sa.Column("due_at", engine.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("assignee", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["human_tasks.id"], name=op.f("fk_task_queue_task_id_human_tasks")),
        sa.PrimaryKeyConstraint("task_id", "group", "scope", name=op.f("pk_task_queue")),
    )
    columns = 'task_id, "group", scope, green, due_at, created_at, assignee'
    # Each open task's candidate groups, or '' when it has none (its holder still lists it).
    source = ("FROM (SELECT c.task_id, c.\"group\" FROM task_candidates c UNION ALL SELECT t.id, '' FROM human_tasks t "
              "WHERE t.state = 'open' AND NOT EXISTS (SELECT 1 FROM task_candidates c WHERE c.task_id = t.id)) g "
              "JOIN human_tasks t ON t.id = g.task_id WHERE t.state = 'open'")
    picked = "g.task_id, g.\"group\", {scope}, t.green, t.due_at, t.created_at, t.assignee"
    for n in LEVELS:
        op.execute(f"INSERT INTO task_queue ({columns}) SELECT {picked.format(scope=f'substr(t.region, 1, {n})')} "
                   f"{source} AND length(t.region) >= {n}")
    op.execute(f"INSERT INTO task_queue ({columns}) SELECT {picked.format(scope=repr(''))} {source} "
               "AND t.region IS NULL")
    # After the rows: one sorted build instead of an index kept through every insert.
    with op.batch_alter_table("task_queue", schema=None) as batch_op:
        order = ["green", "due_at", "created_at", "task_id"]
        batch_op.create_index("ix_task_queue_order", ["group", "scope", *order], unique=False)
        batch_op.create_index("ix_task_queue_unassigned", ["group", "scope", *order], unique=False,
                              postgresql_where=sa.text("assignee IS NULL"), sqlite_where=sa.text("assignee IS NULL"))
        batch_op.create_index("ix_task_queue_held", ["assignee", "scope", *order], unique=False,
                              postgresql_where=sa.text("assignee IS NOT NULL"),
                              sqlite_where=sa.text("assignee IS NOT NULL"))


def downgrade():
    with op.batch_alter_table("task_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_task_queue_held")
        batch_op.drop_index("ix_task_queue_unassigned")
        batch_op.drop_index("ix_task_queue_order")
    op.drop_table("task_queue")
