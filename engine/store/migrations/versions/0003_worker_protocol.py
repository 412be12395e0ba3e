"""worker protocol: job failure details, detached jobs, incidents; worker credentials,
12345 hotline tickets, seen signatures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:45:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("instance_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column("case_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_jobs_case_id"), ["case_id"], unique=False)
        batch_op.add_column(sa.Column("error_details", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("detached", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("incident_at", engine.store.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_jobs_state_incident", ["state", "incident_at"], unique=False)

    op.create_table(
        "worker_credentials",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("created_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("revoked_at", engine.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_credentials")),
        sa.UniqueConstraint("name", name=op.f("uq_worker_credentials_name")),
    )
    op.create_table(
        "hotline_tickets",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("callback_url", sa.String(length=500), nullable=True),
        sa.Column("received_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_hotline_tickets")),
    )
    with op.batch_alter_table("hotline_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotline_tickets_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "seen_signatures",
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("seen_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_seen_signatures")),
    )
    with op.batch_alter_table("seen_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_signatures_seen_at"), ["seen_at"], unique=False)


def downgrade():
    with op.batch_alter_table("seen_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_signatures_seen_at"))
    op.drop_table("seen_signatures")
    with op.batch_alter_table("hotline_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotline_tickets_instance_id"))
    op.drop_table("hotline_tickets")
    op.drop_table("worker_credentials")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_state_incident")
        batch_op.drop_column("incident_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("detached")
        batch_op.drop_column("error_details")
        batch_op.drop_index(batch_op.f("ix_jobs_case_id"))
        batch_op.drop_column("case_id")
        batch_op.alter_column("instance_id", existing_type=sa.String(length=36), nullable=False)
