"""case comments: staff comments on a case, shown in its timeline (issue 10)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("created_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], name=op.f("fk_case_comments_instance_id_instances")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_comments")),
    )
    with op.batch_alter_table("case_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_comments_instance_id"), ["instance_id"], unique=False)


def downgrade():
    with op.batch_alter_table("case_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_comments_instance_id"))
    op.drop_table("case_comments")
