"""Applicants' names outside the sealed case state (issue 10): lists show a masked form
(张*三, 张*), and a search by the full name compares keyed hashes (HMAC-SHA256 under the
data key's look-up key, as ID numbers are found: engine/crypto/lookup.py), so that the
clear name is stored nowhere but in the sealed application. A partial name finds nothing."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import sqlalchemy as sa

from engine.crypto.keys import DataKey, Keyring

KIND = "applicant_name"
MAX_DISPLAY = 40


def normalise_name(name: str) -> str:
    """The name as compared: NFKC (full-width letters, compatibility forms), without blanks,
    the middle dots of transliterated names unified (买买提·艾力 = 买买提•艾力)."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s+", "", text)
    return re.sub(r"[•・‧∙⋅]", "·", text)


def mask_name(name: str | None) -> str | None:
    """The masked display form: the first and last characters kept (张*三, 欧阳**明),
    a two-character name its first (张*), a one-character name only a star."""
    if name is None:
        return None
    text = normalise_name(name)
    if not text:
        return None
    if len(text) == 1:
        return "*"
    if len(text) == 2:
        return text[0] + "*"
    return (text[0] + "*" * (len(text) - 2) + text[-1])[:MAX_DISPLAY]


def name_token(key: DataKey, name: str) -> str:
    """`<key id>:<HMAC hex>` of the normalised full name under `key`."""
    digest = hmac.new(key.lookup, f"{KIND}:{normalise_name(name)}".encode(), hashlib.sha256).hexdigest()
    return f"{key.id}:{digest}"


def name_tokens(keyring: Keyring, name: str) -> list[str]:
    """The token of `name` under every configured key (rows not yet rotated carry an older one)."""
    return [name_token(key, name) for key in keyring]


def protect_clear_names(db: object) -> int:
    """After migration 0018: give each case whose name is still in clear its token and masked
    form, then empty the clear column; how many cases changed. Idempotent."""
    from engine.store.db import Database

    assert isinstance(db, Database) and db.keyring is not None
    table = sa.table("instances", sa.column("id", sa.String), sa.column("applicant_name", sa.String),
                     sa.column("applicant_display", sa.String), sa.column("applicant_token", sa.String))
    done = 0
    with db.session() as s:
        rows = s.execute(sa.select(table.c.id, table.c.applicant_name)
                         .where(table.c.applicant_name.is_not(None))).all()
        for row_id, name in rows:
            s.execute(table.update().where(table.c.id == row_id).values(
                applicant_display=mask_name(name), applicant_token=name_token(db.keyring.primary, name),
                applicant_name=None))
            done += 1
    return done
