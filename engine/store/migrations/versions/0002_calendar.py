"""working-day calendar: overrides, imported years, shared engine settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:55:00
"""
from alembic import op
import sqlalchemy as sa
import engine.store.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_at', engine.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_overrides')),
    sa.UniqueConstraint('day', 'scope', name='uq_calendar_overrides_day_scope')
    )
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('imported_at', engine.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )
    op.create_table('engine_settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', engine.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_engine_settings'))
    )


def downgrade():
    op.drop_table('engine_settings')
    op.drop_table('calendar_years')
    op.drop_table('calendar_overrides')
