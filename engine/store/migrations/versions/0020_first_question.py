"""first-question responsibility: a task given to the case's first-question person at its
opening is reserved for them until a working-day limit passes (W-FIRST, J-FIRST, T-ONCE)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 10:40:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("human_tasks") as batch_op:
        batch_op.add_column(sa.Column("reserved_until", engine.store.base.UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("human_tasks") as batch_op:
        batch_op.drop_column("reserved_until")
