"""audit: the working-day calendar each event's timers were computed with (a content-hashed
copy, so re-execution uses the calendar then in force), and each case's last verification

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 10:40:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_calendars",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", engine.store.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_audit_calendars")),
    )
    op.create_table(
        "audit_event_calendars",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "seq", name=op.f("pk_audit_event_calendars")),
    )
    op.create_table(
        "audit_case_checks",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("line", sa.String(length=500), nullable=False),
        sa.Column("checked_at", engine.store.base.UtcDateTime(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_audit_case_checks")),
    )


def downgrade():
    op.drop_table("audit_case_checks")
    op.drop_table("audit_event_calendars")
    op.drop_table("audit_calendars")
