"""timer incidents: failed firings counted, an incident after repeated failures

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:10:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("incident_at", engine.store.base.UtcDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("incident_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("failures")
