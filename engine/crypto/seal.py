"""Sealing (authenticated encryption, AES-256-GCM) of whole documents and of personal values.

Two forms, each carrying the id of the key that sealed it:

* a **document** (an instance's state, written on every command): its JSON text,
  compressed with LZ4 and encrypted with one AES-GCM call, in a binary envelope
  `\\x00rx1 <key id length> <key id> <nonce> <ciphertext>`. The header is the AES-GCM
  associated data, so a key id cannot be swapped. Bytes without the magic are a document
  written before encryption at rest (plain JSON), read as such until rotated.
* a **token** for one personal value inside a JSON column (audit events, job variables,
  dispatches): the string `rx1$<key id>$<commitment>$<base64 nonce+ciphertext>`. The
  ciphertext holds a random 16-byte `r` and the value's JSON; the commitment is
  SHA-256(r ‖ value). The hash chain of the audit log covers the commitment, not the
  ciphertext (`hash_view`): rotation re-encrypts the same `r` and value under another key,
  so every chain still verifies, and the commitment reveals nothing (r is secret) while it
  binds the value (a changed value no longer matches it). A value sealed by rotation
  from an audit row written before encryption at rest is tagged `rx1p`: that row's hash
  covered the value itself, so `hash_view` opens it (docs/security.md).

Which values are sealed: every value under a personal key (`is_personal`: ID numbers,
phones, bank accounts, wherever they sit in a document; docs/MODELLING.md tells designers
to name such form fields accordingly), and any string holding such a number in free text
(`holds_personal_number`: a clerk's note listing household members with their ID numbers).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable
from typing import Any

import lz4.block
from cryptography.exceptions import InvalidTag

from engine.crypto.keys import DataKey, Keyring
from engine.errors import ReliefError
from engine.forms.validators import cn_id_check_digit

MAGIC = b"\x00rx1"
TAG, LEGACY_TAG = "rx1", "rx1p"
_PREFIXES = (TAG + "$", LEGACY_TAG + "$")
NONCE = 12
R_BYTES = 16
OPENED_MAX = 4096  # opened values kept per keyring (`open_value`)
# Keys whose values are personal data sealed at rest: what ends with one of these
# (applicant_id_number, spouse_id_number, id_numbers, applicant_phone, mobile, bank_account).
PERSONAL_SUFFIXES = ("id_number", "id_numbers", "phone", "mobile", "bank_account", "bank_card")
_personal_cache: dict[str, bool] = {}


class SealBroken(ReliefError):
    """A sealed value or document does not open: changed in the database, or a wrong key."""

    code = "sealed_data_broken"
    status = 500


def is_personal(key: str) -> bool:
    """Whether values under this JSON key are sealed at rest (see PERSONAL_SUFFIXES)."""
    found = _personal_cache.get(key)
    if found is None:
        found = key.lower().endswith(PERSONAL_SUFFIXES)
        if len(_personal_cache) < 10_000:  # keys come from diagrams and forms: few, but not trusted
            _personal_cache[key] = found
    return found


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# documents ---------------------------------------------------------------------------
def seal_document(key: DataKey, plain: bytes) -> bytes:
    """The envelope of `plain` (JSON text as UTF-8) under `key`."""
    kid = key.id.encode()
    header = MAGIC + bytes((len(kid),)) + kid
    nonce = os.urandom(NONCE)
    return header + nonce + key.aead.encrypt(nonce, lz4.block.compress(plain), header)


def document_key_id(data: bytes) -> str | None:
    """The id of the key that sealed the document; None for one stored in clear."""
    if not data.startswith(MAGIC):
        return None
    return data[5:5 + data[4]].decode()


def open_document(keyring: Keyring, data: bytes) -> bytes:
    """The JSON text (UTF-8) of an envelope, or `data` itself when it was stored in clear."""
    key_id = document_key_id(data)
    if key_id is None:
        return data
    split = 5 + data[4]
    header, nonce, sealed = data[:split], data[split:split + NONCE], data[split + NONCE:]
    try:
        return lz4.block.decompress(keyring.get(key_id).aead.decrypt(nonce, sealed, header))
    except InvalidTag as err:
        raise SealBroken(f"a sealed document under key '{key_id}' does not open (changed, or not this key)",
                         {"key_id": key_id}) from err


# personal values -------------------------------------------------------------------
def is_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_PREFIXES)


def _parts(token: str) -> tuple[str, str, str, str]:
    parts = token.split("$")
    if len(parts) != 4:
        raise SealBroken("a sealed value is malformed", {"value": token[:12] + "…"})
    return parts[0], parts[1], parts[2], parts[3]


def token_key_id(token: str) -> str:
    return _parts(token)[1]


def _encrypt(key: DataKey, tag: str, commitment: str, secret: bytes) -> str:
    head = f"{tag}${key.id}${commitment}"
    nonce = os.urandom(NONCE)
    return f"{head}${_b64(nonce + key.aead.encrypt(nonce, secret, head.encode()))}"


def seal_value(key: DataKey, value: Any, tag: str = TAG) -> str:
    """A token for `value` (any JSON value) under `key`, with a fresh commitment."""
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    r = os.urandom(R_BYTES)
    return _encrypt(key, tag, _b64(hashlib.sha256(r + plain).digest()), r + plain)


def _open(keyring: Keyring, token: str) -> tuple[str, str, bytes, bytes]:
    """(tag, commitment, r, plain JSON) of a token, checked against its commitment."""
    tag, key_id, commitment, box = _parts(token)
    raw = _unb64(box)
    try:
        secret = keyring.get(key_id).aead.decrypt(raw[:NONCE], raw[NONCE:], f"{tag}${key_id}${commitment}".encode())
    except InvalidTag as err:
        raise SealBroken(f"a sealed value under key '{key_id}' does not open (changed, or not this key)",
                         {"key_id": key_id}) from err
    r, plain = secret[:R_BYTES], secret[R_BYTES:]
    if _b64(hashlib.sha256(r + plain).digest()) != commitment:
        raise SealBroken("a sealed value does not match its commitment", {"key_id": key_id})
    return tag, commitment, r, plain


_SCALARS = (str, int, float, bool)


def open_value(keyring: Keyring, token: str) -> Any:
    """The value sealed in `token`. A job row is read by every command about its job, each
    time with the same tokens: opened scalars are kept per keyring (a token is never
    reused for another value; the keyring going away takes its cache with it)."""
    opened = keyring.opened
    found = opened.get(token)
    if found is not None:
        return found
    value = json.loads(_open(keyring, token)[3])
    if type(value) in _SCALARS:
        if len(opened) >= OPENED_MAX:
            opened.clear()
        opened[token] = value
    return value


def reseal_value(keyring: Keyring, token: str) -> str:
    """The same value, commitment and `r` under the primary key (the token itself if it is)."""
    if token_key_id(token) == keyring.primary.id:
        return token
    tag, commitment, r, plain = _open(keyring, token)
    return _encrypt(keyring.primary, tag, commitment, r + plain)


# documents with personal values ------------------------------------------------------
# A personal number inside free text ("王德胜 户主 370481195201172017", a phone typed into a
# note): what has the shape of an 18-character ID number, a mainland mobile number, or a
# 16-19 digit number (bank cards and most accounts); standing alone, not inside a longer
# run of letters and digits (an id such as a UUID's `a19104309688`). Sealing too much
# costs nothing but readability, so no check digit is asked for (registry data need not
# have valid ones); refusing input (`strict`) asks for one and leaves long numbers alone.
_NUMBERS = re.compile(r"(?<![0-9A-Za-z])(?:[1-9][0-9]{16}[0-9Xx]|1[3-9][0-9]{9}|[0-9]{16,19})(?![0-9A-Za-z])")


def personal_numbers(text: str, strict: bool = False) -> list[str]:
    """The ID numbers, mobile numbers and bank card or account numbers in free text;
    `strict`: only ID numbers with a valid check character, and mobile numbers."""
    if not strict:
        return _NUMBERS.findall(text)
    return [n for n in _NUMBERS.findall(text) if len(n) == 11 or (
        len(n) == 18 and n[:17].isdigit() and cn_id_check_digit(n[:17]) == n[-1].upper())]


def holds_personal_number(text: str, strict: bool = False) -> bool:
    """Whether free text contains an ID number, a mobile number or a bank number (see above)."""
    return _NUMBERS.search(text) is not None and (not strict or bool(personal_numbers(text, strict)))


def _walk(obj: Any, visit: Callable[[Any], Any]) -> Any:
    """`obj` with `visit(value)` applied to the values that are or must be sealed: every
    non-empty value under a personal key, and every other string that is a token or holds
    a personal number. Parts without change are shared, and `obj` itself is returned if
    nothing changed. Runs on every command (audit input, job variables): the test of each
    plain string is kept inline."""
    if type(obj) is dict:
        out = None
        for k, v in obj.items():
            kind = type(v)
            if type(k) is str and is_personal(k) and v is not None and v != "":
                new = visit(v)
            elif kind is str:
                if len(v) < 11 or not (v.startswith(_PREFIXES) or _NUMBERS.search(v) is not None):
                    continue
                new = visit(v)
            elif kind is dict or kind is list:
                new = _walk(v, visit)
            else:
                continue
            if new is not v:
                if out is None:
                    out = dict(obj)
                out[k] = new
        return obj if out is None else out
    if type(obj) is list:
        out = None
        for i, v in enumerate(obj):
            kind = type(v)
            if kind is str:
                if len(v) < 11 or not (v.startswith(_PREFIXES) or _NUMBERS.search(v) is not None):
                    continue
                new = visit(v)
            elif kind is dict or kind is list:
                new = _walk(v, visit)
            else:
                continue
            if new is not v:
                if out is None:
                    out = list(obj)
                out[i] = new
        return obj if out is None else out
    return obj


def seal_tree(key: DataKey, obj: Any, tag: str = TAG) -> Any:
    """`obj` with its personal values sealed under `key` (always anew): values under personal
    keys, free text holding a personal number, and any string that looks like a token (so
    that nothing unsealed is ever taken for one)."""
    return _walk(obj, lambda v: seal_value(key, v, tag))


def open_tree(keyring: Keyring, obj: Any) -> Any:
    """`obj` with its sealed values opened (values stored in clear pass as they are)."""
    return _walk(obj, lambda v: open_value(keyring, v) if is_token(v) else v)


def hash_view(keyring: Keyring | None, obj: Any) -> Any:
    """What the audit hash covers: each token's commitment instead of its ciphertext, and the
    value itself for a token of a row written in clear before (`rx1p`)."""
    def view(v: Any) -> Any:
        if not is_token(v):
            return v
        tag, _key_id, commitment, _box = _parts(v)
        if tag == TAG:
            return f"sealed:{commitment}"
        if keyring is None:
            raise SealBroken("verifying a row sealed after it was written needs the data keys")
        return open_value(keyring, v)
    return _walk(obj, view)


def reseal_tree(keyring: Keyring, obj: Any, clear_tag: str = TAG) -> Any:
    """`obj` with every sealed value under the primary key: tokens of other keys resealed
    (same commitment), values still in clear sealed with `clear_tag`. `obj` if nothing moved."""
    return _walk(obj, lambda v: reseal_value(keyring, v) if is_token(v)
                 else seal_value(keyring.primary, v, clear_tag))


def key_ids(obj: Any) -> list[str | None]:
    """The key id of each value of `obj` that is (or should be) sealed; None: in clear."""
    found: list[str | None] = []

    def note(v: Any) -> Any:
        found.append(token_key_id(v) if is_token(v) else None)
        return v
    _walk(obj, note)
    return found
