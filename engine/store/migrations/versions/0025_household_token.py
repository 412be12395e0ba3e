"""household token: instances.household_token, the keyed hash (HMAC under the data key's
look-up key, engine/crypto/lookup.py) of the applicant's ID number, so that the household
file (T-ARCHIVE, 一户一档) finds every case of a household by an index, never storing the
number in clear. Written from the case data by every command (engine/runtime/summary.py).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("household_token", sa.String(length=96), nullable=True))
        batch_op.create_index("ix_instances_household_token", ["household_token"], unique=False)


def downgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_index("ix_instances_household_token")
        batch_op.drop_column("household_token")
