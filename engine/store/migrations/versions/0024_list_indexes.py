"""list indexes: the case's green channel on its task rows (the work list's order on the
task rows alone), and indexes for the overdue / due-soon lists, the API's deadline order
and "done by me" (issue 10, issue 15: every list a user opens served by an index); on
PostgreSQL, a trigram index for the search by part of a business key (applicant names are
searched by their keyed token, exact, indexed by 0018)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 11:00:00
"""
import logging

import sqlalchemy as sa
from alembic import op

# PostgreSQL only, and only where pg_trgm can be had (a trusted extension: the database's
# owner may create it). Not in the models: tests/engine/test_migrations.py leaves
# indexes named *_trgm out of its comparison.
TRIGRAM_INDEXES = {"ix_instances_business_key_trgm": "business_key"}

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("green", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_human_tasks_state_due", ["state", "due_at", "created_at"], unique=False)
        batch_op.create_index("ix_human_tasks_completed_by", ["completed_by", "ended_at"], unique=False)
    # The tasks of green-channel cases take their case's flag (one statement, any size).
    op.execute("UPDATE human_tasks SET green = TRUE WHERE instance_id IN (SELECT id FROM instances WHERE green)")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = _trigram_schema(bind)
        for name, column in TRIGRAM_INDEXES.items():
            if schema is not None:
                op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON instances USING gin ({column} "{schema}".gin_trgm_ops)')


def _trigram_schema(bind: sa.Connection) -> str | None:
    """The schema pg_trgm lives in: where it is already, else `public` where it can be
    created there (never a schema of the search path: dropping a tests' schema would take
    the extension, and every other schema's indexes on it, with it); None without it."""
    find = sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                   "WHERE e.extname = 'pg_trgm'")
    schema = bind.scalar(find)
    if schema is None:
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
            schema = bind.scalar(find)
        except sa.exc.DBAPIError as err:  # no privilege, no contrib package: searches stay scans
            logging.getLogger(__name__).warning("pg_trgm unavailable, no trigram indexes: %s", err)
    return schema


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_human_tasks_completed_by")
        batch_op.drop_index("ix_human_tasks_state_due")
        batch_op.drop_column("green")
