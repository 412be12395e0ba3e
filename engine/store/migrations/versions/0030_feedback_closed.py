"""feedback closed: a complaint or bad rating is closed, with its outcome, when the complaint
process handling it ends (issue 11): complaints.outcome and closed_at, case_ratings'
follow_up_outcome and followed_up_at

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-07 14:30:00
"""
import sqlalchemy as sa
from alembic import op

from engine.store.base import UtcDateTime

revision = "0030"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("closed_at", UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("case_ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_outcome", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("followed_up_at", UtcDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("case_ratings", schema=None) as batch_op:
        batch_op.drop_column("followed_up_at")
        batch_op.drop_column("follow_up_outcome")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("outcome")
