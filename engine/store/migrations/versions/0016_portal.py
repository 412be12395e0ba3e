"""portal: ratings and complaints of applicants, public
notices (公示), and the index the statistics by region and month read

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.crypto.columns
import engine.store.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.create_index("ix_instances_region_started", ["region", "started_at"], unique=False)

    op.create_table(
        "case_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", engine.crypto.columns.SealedText(), nullable=False),
        sa.Column("created_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("follow_up_due", engine.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_ratings")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_case_ratings_instance_id")),
    )
    with op.batch_alter_table("case_ratings", schema=None) as batch_op:
        batch_op.create_index("ix_case_ratings_region_score", ["region", "score"], unique=False)

    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("text", engine.crypto.columns.SealedText(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_complaints_region_status", ["region", "status"], unique=False)

    op.create_table(
        "public_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("masked_name", sa.String(length=40), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=True),
        sa.Column("item", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=True),
        sa.Column("posted_from", sa.Date(), nullable=False),
        sa.Column("posted_until", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_notices")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_public_notices_instance_id")),
    )
    with op.batch_alter_table("public_notices", schema=None) as batch_op:
        batch_op.create_index("ix_public_notices_until_region", ["posted_until", "region"], unique=False)


def downgrade():
    op.drop_table("public_notices")
    op.drop_table("complaints")
    op.drop_table("case_ratings")
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_index("ix_instances_region_started")
