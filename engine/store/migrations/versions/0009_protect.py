"""encryption at rest of ID numbers, phones and bank accounts; approval of new process versions

- instances.state: bytes (a sealed envelope, engine.crypto.seal) instead of JSON. Rows keep
  their JSON text as bytes and are read as such until `relief keys rotate` seals them. On
  PostgreSQL the column is stored EXTERNAL: ciphertext does not compress (the state is
  LZ4-compressed before it is sealed), so TOAST need not try.
- notifications.to: text (a sealed token is longer than a phone).
- registry_members, aid_grants: found by the look-up hash of the ID number (`id_hash`), the
  number itself is sealed. The renamed column keeps the number in clear and `id_number`
  gets a copy, until `Engine.upgrade_schema` seals them (it holds the data keys; Alembic
  does not).
- definitions: deployed_by, approval_required, approved_by, approved_at (a second person's
  approval of a new version of a process that has cases).

Job variables and results, dispatch payloads and audit events keep their JSON columns:
their personal values become tokens inside the JSON.

Revision ID: 0009
Revises: 0010
Create Date: 2026-11-24 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None

HASH = sa.String(length=96)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.JSON(), type_=sa.LargeBinary(), existing_nullable=False,
                              postgresql_using="convert_to(state::text, 'UTF8')")
    if _postgres():
        op.execute("ALTER TABLE instances ALTER COLUMN state SET STORAGE EXTERNAL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("to", existing_type=sa.String(length=32), type_=sa.Text(), existing_nullable=False)

    for table in ("registry_members", "aid_grants"):
        # Three steps: a batch (SQLite copies the table) cannot rename a column and add one of
        # the old name at once.
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "aid_grants":
                batch_op.drop_index("ix_aid_grants_id_number")
            batch_op.alter_column("id_number", new_column_name="id_hash", existing_type=sa.String(length=18),
                                  type_=HASH, existing_nullable=False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("id_number", sa.Text(), nullable=True))
            if table == "aid_grants":
                batch_op.create_index("ix_aid_grants_id_hash", ["id_hash"], unique=False)
        op.execute(f"UPDATE {table} SET id_number = id_hash")  # noqa: S608 - fixed table names
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("id_number", existing_type=sa.Text(), nullable=False)

    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deployed_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("approval_required", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("approved_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("approved_at", engine.store.base.UtcDateTime(timezone=True), nullable=True))
    op.execute("UPDATE definitions SET deployed_by = (SELECT created_by FROM deployments "
               "WHERE deployments.id = definitions.deployment_id)")


def downgrade():
    # Only a database whose values are still in clear can go back (`relief keys` cannot
    # unseal into the old columns); the schema change itself is undone here.
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by")
        batch_op.drop_column("approval_required")
        batch_op.drop_column("deployed_by")
    for table in ("aid_grants", "registry_members"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "aid_grants":
                batch_op.drop_index("ix_aid_grants_id_hash")
            batch_op.drop_column("id_number")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("id_hash", new_column_name="id_number", existing_type=HASH,
                                  type_=sa.String(length=18), existing_nullable=False)
            if table == "aid_grants":
                batch_op.create_index("ix_aid_grants_id_number", ["id_number"], unique=False)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("to", existing_type=sa.Text(), type_=sa.String(length=32), existing_nullable=False)
    if _postgres():
        op.execute("ALTER TABLE instances ALTER COLUMN state SET STORAGE EXTENDED")
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.LargeBinary(), type_=sa.JSON(), existing_nullable=False,
                              postgresql_using="convert_from(state, 'UTF8')::json")
