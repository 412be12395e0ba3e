"""tasks: each case's summary for the task lists (channel, green channel, applicant name),
form drafts saved on the server per task and user, saved task-list views per role and region

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("green", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("applicant_name", sa.String(length=120), nullable=True))
    op.create_table(
        "task_drafts",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["human_tasks.id"], name=op.f("fk_task_drafts_task_id_human_tasks")),
        sa.PrimaryKeyConstraint("task_id", "username", name=op.f("pk_task_drafts")),
    )
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
    )
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.create_index("ix_saved_views_role_region", ["role", "region"], unique=False)


def downgrade():
    op.drop_table("saved_views")
    op.drop_table("task_drafts")
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("applicant_name")
        batch_op.drop_column("green")
        batch_op.drop_column("channel")
