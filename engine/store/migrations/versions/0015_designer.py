"""process designer: drafts saved on the server (issue 13)

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "process_drafts",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("base_definition_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["base_definition_id"], ["definitions.id"],
                                name=op.f("fk_process_drafts_base_definition_id_definitions")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_process_drafts")),
    )


def downgrade():
    op.drop_table("process_drafts")
