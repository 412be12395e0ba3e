"""worklist: department webhook waits (receive tasks waiting for a department system's
answer, with their deadline), each case's aid types for the aid-type filter, and the
applicant's name masked for lists plus a keyed search token instead of the clear name

- department_waits: one row per wait for a department system's message (projection kept
  by every command, like human_tasks), so that the overdue and due-soon lists show them.
- instances.aid_types: ",code,code," (a LIKE on ",code," finds a type on both databases).
  Existing cases get it with their next command (their data is sealed in the state).
- instances.applicant_display: the masked name (张*三) computed here from the clear one.
- instances.applicant_token: HMAC of the normalised full name under the data key. Alembic
  holds no data keys: `Engine.upgrade_schema` computes the tokens from the clear names left
  here and then empties instances.applicant_name (engine/crypto/names.py).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 11:00:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.base
from engine.crypto.names import mask_name

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "department_waits",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("bpmn_id", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("department", sa.String(length=80), nullable=True),
        sa.Column("department_name", sa.String(length=120), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", engine.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("created_at", engine.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", engine.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"],
                                name=op.f("fk_department_waits_instance_id_instances")),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_department_waits")),
    )
    with op.batch_alter_table("department_waits", schema=None) as batch_op:
        batch_op.create_index("ix_department_waits_state_due", ["state", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_department_waits_instance_id"), ["instance_id"], unique=False)
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("aid_types", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("applicant_display", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("applicant_token", sa.String(length=96), nullable=True))
        batch_op.create_index("ix_instances_applicant_token", ["applicant_token"], unique=False)
    bind = op.get_bind()
    instances = sa.table("instances", sa.column("id", sa.String), sa.column("applicant_name", sa.String),
                         sa.column("applicant_display", sa.String))
    rows = bind.execute(sa.select(instances.c.id, instances.c.applicant_name)
                        .where(instances.c.applicant_name.is_not(None))).all()
    for row_id, name in rows:
        bind.execute(instances.update().where(instances.c.id == row_id)
                     .values(applicant_display=mask_name(name)))


def downgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_index("ix_instances_applicant_token")
        batch_op.drop_column("applicant_token")
        batch_op.drop_column("applicant_display")
        batch_op.drop_column("aid_types")
    op.drop_table("department_waits")
