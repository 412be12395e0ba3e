"""audit seals: sealed checkpoints of the global chain over case heads, and the
nightly verification runs (X-AUDIT)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 08:30:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0017"
# The brief's base is 0007; chained after 0016 here so that this branch upgrades to one head
# (the lead rechains migrations after merging).
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sealed_at", engine.store.base.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seals")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_seals_seq")),
    )
    op.create_table(
        "audit_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", engine.store.base.UtcDateTime(), nullable=False),
        sa.Column("finished_at", engine.store.base.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_runs")),
    )
    with op.batch_alter_table("audit_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_runs_started_at"), ["started_at"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_runs_started_at"))
    op.drop_table("audit_runs")
    op.drop_table("audit_seals")
