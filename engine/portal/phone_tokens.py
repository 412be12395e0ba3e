"""The applicant's phone token on cases begun before migration 0026 (issue 14).

The portal's "我的申请" finds an applicant's cases by the keyed hash of their phone
(instances.applicant_phone_token, kept by engine/runtime/summary.py at each command). A case
begun before 0026 has none until its next command, so an applicant who signs in would not see
it: the engine gives it one at upgrade (Alembic holds no data keys), like the household token
of 0025 (engine.archive.backfill_household_tokens)."""

from __future__ import annotations

from typing import Any

from engine import token_backfill
from engine.crypto.keys import Keyring
from engine.crypto.lookup import lookup_hash
from engine.forms.validators import is_valid_cn_mobile

NO_PHONE = ""  # read once, no mobile in its data: not read again at every upgrade


def backfill_phone_tokens(engine: Any, batch: int = 200) -> int:
    """Give each case that has no phone token yet the keyed hash of its applicant's mobile
    ("" when its data names none); how many cases were looked at (engine/token_backfill.py:
    an unreadable case is logged and tried again at the next upgrade)."""
    def token_of(data: dict[str, Any], keyring: Keyring) -> str:
        phone = data.get("applicant_phone")
        ok = isinstance(phone, str) and is_valid_cn_mobile(phone)
        return lookup_hash(keyring.primary, "phone", phone) if ok else NO_PHONE

    return token_backfill.backfill(engine, "applicant_phone_token", token_of,
                                   "the applicant's sign-in does not list it until it is", batch)
