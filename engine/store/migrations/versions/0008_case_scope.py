"""case scope: the case's region on task rows and candidate rows, department dispatch look-up

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-24 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_human_tasks_region_state", ["region", "state"], unique=False)
    with op.batch_alter_table("task_candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=40), nullable=True))
        batch_op.drop_index("ix_task_candidates_group")
        batch_op.create_index("ix_task_candidates_group_region", ["group", "region"], unique=False)
    with op.batch_alter_table("dispatches", schema=None) as batch_op:
        batch_op.create_index("ix_dispatches_target", ["target", "kind", "instance_id"], unique=False)
    # Rows written before: the region of their case (instances.region never changes).
    op.execute("UPDATE human_tasks SET region = (SELECT region FROM instances WHERE instances.id = "
               "human_tasks.instance_id)")
    op.execute("UPDATE task_candidates SET region = (SELECT region FROM human_tasks WHERE human_tasks.id = "
               "task_candidates.task_id)")


def downgrade():
    with op.batch_alter_table("dispatches", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatches_target")
    with op.batch_alter_table("task_candidates", schema=None) as batch_op:
        batch_op.drop_index("ix_task_candidates_group_region")
        batch_op.create_index("ix_task_candidates_group", ["group"], unique=False)
        batch_op.drop_column("region")
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_human_tasks_region_state")
        batch_op.drop_column("region")
