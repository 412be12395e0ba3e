"""A case's summary for the task lists, kept on its instance row from the case data:
how the application came in (`channel`), whether the applicant is a green-channel person
(J-GREEN: `priority_group` other than "none"), the aid types applied for (the aid-type
filter) and the applicant's name: masked for lists and as a keyed token for an exact search
by the full name, never in clear (engine/crypto/names.py), and the applicant's mobile as
a keyed hash for the portal's applicant sign-in (engine/crypto/lookup.py).
Written by the executor with every command that changed the workflow (one UPDATE it
makes anyway), so the lists filter and sort in SQL without reading case state."""

from __future__ import annotations

from typing import Any

from engine.crypto.keys import Keyring
from engine.crypto.lookup import lookup_hash
from engine.crypto.names import mask_name, name_token
from engine.forms.validators import is_valid_cn_mobile

MAX_CHANNEL, MAX_NAME, MAX_AID = 20, 120, 200
# T-ARCHIVE: the data keys naming the applicant's ID number, first found wins; the household
# file (engine/archive.py) finds a household's cases by its keyed hash.
ID_NUMBER_FIELDS = ("applicant_id_number", "id_number")


def aid_types_text(codes: list[str]) -> str | None:
    """",a,b," for the column (None without any): a LIKE on ",code," finds one type."""
    clean = [c for c in dict.fromkeys(codes) if isinstance(c, str) and c and "," not in c]
    text = "," + ",".join(clean) + ","
    return text if clean and len(text) <= MAX_AID else None


def of(data: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The summary columns the data decides (a key the data lacks is left as it was)."""
    out: dict[str, Any] = {}
    channel = data.get("channel")
    if isinstance(channel, str) and channel:
        out["channel"] = channel[:MAX_CHANNEL]
    if "priority_group" in data:
        group = data["priority_group"]
        out["green"] = bool(group) and group != "none"
    name = data.get("applicant_name")
    if isinstance(name, str) and name.strip():
        full = name.strip()[:MAX_NAME]
        out["applicant_display"] = mask_name(full)
        out["applicant_token"] = name_token(keyring.primary, full)
    phone = data.get("applicant_phone")
    if isinstance(phone, str) and is_valid_cn_mobile(phone):
        # The portal's applicant sign-in finds the cases of a phone by this keyed hash.
        out["applicant_phone_token"] = lookup_hash(keyring.primary, "phone", phone)
    aid = data.get("aid_types")
    if isinstance(aid, list):
        out["aid_types"] = aid_types_text(aid)
    number = next((v for f in ID_NUMBER_FIELDS if isinstance(v := data.get(f), str) and v.strip()), None)
    if number is not None:
        out["household_token"] = lookup_hash(keyring.primary, "id_number", number)
    return out


def changed(row: Any, data: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The summary values that differ from what `row` (an Instance) holds."""
    return {k: v for k, v in of(data, keyring).items() if getattr(row, k) != v}
