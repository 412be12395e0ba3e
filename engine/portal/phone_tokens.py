"""The applicant's phone token on cases begun before migration 0026 (issue 14).

The portal's "我的申请" finds an applicant's cases by the keyed hash of their phone
(instances.applicant_phone_token, kept by engine/runtime/summary.py at each command). A case
begun before 0026 has none until its next command, so an applicant who signs in would not see
it: the engine gives it one at upgrade (Alembic holds no data keys), like the household token
of 0025 (engine.archive.backfill_household_tokens)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from engine.crypto.columns import session_keyring
from engine.crypto.lookup import lookup_hash
from engine.forms.validators import is_valid_cn_mobile
from engine.store.models import Instance

log = logging.getLogger("relief.portal")

NO_PHONE = ""  # read once, no mobile in its data: not read again at every upgrade


def backfill_phone_tokens(engine: Any, batch: int = 200) -> int:
    """Give each case that has no phone token yet the keyed hash of its applicant's mobile
    ("" when its data names none); how many cases were looked at. A case whose data cannot
    be read is logged and left as it is (tried again at the next upgrade) rather than
    stopping the upgrade. Idempotent, in batches, without touching the cases' versions."""
    table = Instance.__table__
    with engine.db.reading() as s:
        ids = list(s.scalars(sa.select(Instance.id).where(Instance.applicant_phone_token.is_(None))))
    for start in range(0, len(ids), batch):
        with engine.db.session() as s:
            keyring = session_keyring(s)
            for instance_id in ids[start:start + batch]:
                try:
                    data = engine.case_data(s.get(Instance, instance_id))
                except Exception:  # noqa: BLE001 - one unreadable case must not stop the upgrade
                    log.warning("case %s: its data could not be read to key its applicant's phone; "
                                "the applicant's sign-in does not list it until it is", instance_id, exc_info=True)
                    continue
                phone = data.get("applicant_phone")
                token = lookup_hash(keyring.primary, "phone", phone) if isinstance(phone, str) \
                    and is_valid_cn_mobile(phone) else NO_PHONE
                # Only where still empty: a command that ran meanwhile wrote the current one.
                s.execute(sa.update(table).where(table.c.id == instance_id, table.c.applicant_phone_token.is_(None))
                          .values(applicant_phone_token=token))
    return len(ids)
