"""business keys: one case per business key and process, enforced by the database

`instances.process_key` holds the definition's key (the process, whatever the version),
and a unique index on (process_key, business_key) makes a second case with the same key
impossible, even when two starts race (issue 9, defect 10). Cases without a business key
are not affected (NULLs are distinct in a unique index, on PostgreSQL and SQLite alike).

A database that already holds duplicates: the oldest case of each (process, key) keeps
the key; every later one is renamed to `KEY~2`, `KEY~3`, … (shortened to fit 120
characters, skipping names already taken), its version moves on and its audit chain gets
a `rename_business_key` event by `migration 0007` saying from what, to what and which case
kept the key; each rename is logged as a warning. Nothing is dropped, and the renamed
cases can be told apart again: before, a message for such a key was refused for ever
once two of its cases waited for it. Jobs already queued keep the old key in their
variables (a department system that got the old key answers for the case that kept it).
The downgrade removes the index and the column; renamed keys stay renamed.

Revision ID: 0007
Revises: 0009
Create Date: 2026-12-06 20:00:00
"""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from alembic import op

from engine.audit.log import GENESIS, event_hash
from engine.store.base import UtcDateTime

revision = "0007"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "uq_instances_process_business_key"
MAX_KEY = 120
ACTOR = "migration 0007"
log = logging.getLogger("alembic.runtime.migration")

# The tables as this migration knows them (not the models, which may change later).
_instances = sa.table("instances", sa.column("id", sa.String), sa.column("business_key", sa.String),
                      sa.column("process_key", sa.String), sa.column("version", sa.Integer),
                      sa.column("started_at", UtcDateTime), sa.column("updated_at", UtcDateTime))
_events = sa.table("audit_events", sa.column("instance_id", sa.String), sa.column("seq", sa.Integer),
                   sa.column("command", sa.String), sa.column("actor", sa.String), sa.column("at", UtcDateTime),
                   sa.column("input", sa.JSON), sa.column("changes", sa.JSON), sa.column("prev_hash", sa.String),
                   sa.column("hash", sa.String))


def upgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("process_key", sa.String(length=120), nullable=True))
    op.execute("UPDATE instances SET process_key = "
               "(SELECT definitions.key FROM definitions WHERE definitions.id = instances.definition_id)")
    rename_duplicates(op.get_bind(), dt.datetime.now(dt.UTC))
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.create_index(INDEX, ["process_key", "business_key"], unique=True)


def downgrade():
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("process_key")


def rename_duplicates(bind: sa.Connection, now: dt.datetime) -> list[dict[str, str]]:
    """Rename every case but the oldest of each (process, business key); audited, logged.
    Returns what was renamed: [{instance, from, to, kept_by}]."""
    i = _instances
    groups = (sa.select(i.c.process_key, i.c.business_key).where(i.c.business_key.is_not(None))
              .group_by(i.c.process_key, i.c.business_key).having(sa.func.count() > 1).subquery())
    rows = bind.execute(sa.select(i.c.id, i.c.process_key, i.c.business_key, i.c.version)
                        .join(groups, sa.and_(groups.c.process_key == i.c.process_key,
                                              groups.c.business_key == i.c.business_key))
                        .order_by(i.c.process_key, i.c.business_key, i.c.started_at, i.c.id)).all()
    renamed: list[dict[str, str]] = []
    kept: dict[tuple[str, str], str] = {}
    for row in rows:
        group = (row.process_key, row.business_key)
        if group not in kept:
            kept[group] = row.id  # the oldest keeps its key
            continue
        new_key = _free_key(bind, row.process_key, row.business_key)
        bind.execute(i.update().where(i.c.id == row.id).values(business_key=new_key, version=row.version + 1,
                                                               updated_at=now))
        _audit(bind, row.id, now, {"from": row.business_key, "to": new_key, "kept_by": kept[group],
                                   "reason": "a business key names one case per process; "
                                             "the oldest case with this key keeps it"})
        log.warning("case %s (%s): business key %r was also the key of the older case %s; renamed to %r",
                    row.id, row.process_key, row.business_key, kept[group], new_key)
        renamed.append({"instance": row.id, "from": row.business_key, "to": new_key, "kept_by": kept[group]})
    return renamed


def _free_key(bind: sa.Connection, process_key: str, key: str) -> str:
    i = _instances
    n = 2
    while True:
        suffix = f"~{n}"
        candidate = key[:MAX_KEY - len(suffix)] + suffix
        taken = bind.execute(sa.select(i.c.id).where(i.c.process_key == process_key,
                                                     i.c.business_key == candidate).limit(1)).first()
        if taken is None:
            return candidate
        n += 1


def _audit(bind: sa.Connection, instance_id: str, now: dt.datetime, input: dict[str, str]) -> None:
    e = _events
    head = bind.execute(sa.select(e.c.seq, e.c.hash).where(e.c.instance_id == instance_id)
                        .order_by(e.c.seq.desc()).limit(1)).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    command = "rename_business_key"
    bind.execute(e.insert().values(instance_id=instance_id, seq=seq, command=command, actor=ACTOR, at=now,
                                   input=input, changes=[], prev_hash=prev,
                                   hash=event_hash(prev, instance_id, seq, command, ACTOR, now, input, [])))
