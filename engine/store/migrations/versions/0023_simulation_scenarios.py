"""process designer: saved simulation scenarios per process, re-run before each deploy
(issue 13)

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-07 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "simulation_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("expected", sa.JSON(), nullable=False),
        sa.Column("updated_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulation_scenarios")),
        sa.UniqueConstraint("key", "name", name="uq_simulation_scenarios_key_name"),
    )
    op.create_index(op.f("ix_simulation_scenarios_key"), "simulation_scenarios", ["key"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_simulation_scenarios_key"), table_name="simulation_scenarios")
    op.drop_table("simulation_scenarios")
