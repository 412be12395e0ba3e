"""Keyed lookup tokens for cases begun before the migration that added their column.

A token (the keyed hash of a value in a case's sealed data: the applicant's ID number for the
household file, their phone for the portal's sign-in) is kept by every command; cases begun
before the column existed have none until their next command. Alembic holds no data keys, so
the engine fills them at upgrade (Engine.upgrade_schema), one function for every such column."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from engine.crypto.columns import session_keyring
from engine.crypto.keys import Keyring
from engine.store.models import Instance

log = logging.getLogger("relief.upgrade")


def backfill(engine: Any, column: str, token_of: Callable[[dict[str, Any], Keyring], str], unreadable: str,
             batch: int = 200) -> int:
    """Give each case whose `column` is NULL the token `token_of(its data, keyring)` ("" when
    its data names nothing, so that it is read once); how many cases were looked at. A case
    whose data cannot be read is logged with `unreadable` and left NULL (tried again at the
    next upgrade) rather than stopping the upgrade. Idempotent, in batches of `batch`, without
    touching the cases' versions; a command that ran meanwhile keeps the token it wrote."""
    table = Instance.__table__
    target = table.c[column]
    with engine.db.reading() as s:
        ids = list(s.scalars(sa.select(table.c.id).where(target.is_(None))))
    for start in range(0, len(ids), batch):
        with engine.db.session() as s:
            keyring = session_keyring(s)
            for instance_id in ids[start:start + batch]:
                try:
                    data = engine.case_data(s.get(Instance, instance_id))
                except Exception:  # noqa: BLE001 - one unreadable case must not stop the upgrade
                    log.warning("case %s: its data could not be read: %s", instance_id, unreadable, exc_info=True)
                    continue
                s.execute(sa.update(table).where(table.c.id == instance_id, target.is_(None))
                          .values({column: token_of(data, keyring)}))
    return len(ids)
