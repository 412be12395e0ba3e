"""materials: files uploaded to a case (PDF, JPEG, PNG), named by their SHA-256 in the file store

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_materials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("uploaded_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_materials_instance_id", "case_materials", ["instance_id"])


def downgrade():
    op.drop_index("ix_case_materials_instance_id", table_name="case_materials")
    op.drop_table("case_materials")
