"""applicant sign-in on the portal (issue 14): the applicant's phone as a keyed hash on each
case (instances.applicant_phone_token, kept from the case data like the name's token) and the
one-time SMS codes, hashed (applicant_codes). Cases started before this revision get their
token from the engine after the migrations (Engine.upgrade_schema, engine/portal/phone_tokens.py:
Alembic holds no data keys).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 14:30:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_phone_token", sa.String(length=96), nullable=True))
        batch_op.create_index("ix_instances_applicant_phone_token", ["applicant_phone_token"], unique=False)
    op.create_table(
        "applicant_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_token", sa.String(length=96), nullable=False),
        sa.Column("code_hash", sa.String(length=96), nullable=False),
        sa.Column("created_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicant_codes")),
    )
    op.create_index(op.f("ix_applicant_codes_phone_token"), "applicant_codes", ["phone_token"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_applicant_codes_phone_token"), table_name="applicant_codes")
    op.drop_table("applicant_codes")
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_index("ix_instances_applicant_phone_token")
        batch_op.drop_column("applicant_phone_token")
