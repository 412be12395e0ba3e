"""Look-up hashes: finding a row by an ID number (or phone, bank account) without storing
the number in clear.

An ID number has too little entropy for a plain hash (region, birth date and a sequence
number: some 10^9 candidates, tried in minutes); a keyed hash (HMAC-SHA256 with a key
derived from the data key) cannot be tried without the key. The stored form names its key,
`<key id>:<hex>`, so that a rotation knows which rows still need a new hash, and a
look-up during a rotation asks for the hash under every configured key (`lookup_hashes`).
The value is normalised first, so that `32028119800101001x` finds `32028119800101001X`."""

from __future__ import annotations

import hashlib
import hmac
import re

from engine.crypto.keys import DataKey, Keyring
from engine.forms.validators import normalise_cn_id_number, normalise_cn_mobile

HASH_LENGTH = 96  # column width: key id (at most 24), ':' and 64 hex digits

_NORMALISE = {
    "id_number": normalise_cn_id_number,
    "phone": lambda v: normalise_cn_mobile(v.strip()),
    "bank_account": lambda v: re.sub(r"[\s-]", "", v),
}


def normalise(kind: str, value: str) -> str:
    """`value` as compared: an ID number upper-cased and trimmed, a phone without +86,
    a bank account without blanks and dashes."""
    return _NORMALISE[kind](value)


def lookup_hash(key: DataKey, kind: str, value: str) -> str:
    """`<key id>:<HMAC-SHA256 hex>` of the normalised value under `key`."""
    digest = hmac.new(key.lookup, f"{kind}:{normalise(kind, value)}".encode(), hashlib.sha256).hexdigest()
    return f"{key.id}:{digest}"


def lookup_hashes(keyring: Keyring, kind: str, value: str) -> list[str]:
    """The hash of `value` under every configured key (rows not yet rotated carry an older one)."""
    return [lookup_hash(key, kind, value) for key in keyring]


def hash_key_id(stored: str) -> str:
    return stored.split(":", 1)[0]
