"""ledger entries: the same-day limit (W-LEDGER) and whether the entry was kept late

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:30:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_by", engine.store.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("late")
        batch_op.drop_column("due_by")
