"""Data keys: where they come from, how they are named, what is derived from them.

A key entry is `<id>:<base64 of 32 random bytes>`. Several entries make a keyring; the
first is the *primary* key, which seals everything written from now on; the others
only open what they sealed earlier, until `relief keys rotate` has moved it all to the
primary key (docs/security.md, "Key rotation").

From each key two sub-keys are derived (HKDF-SHA256), so one secret serves both uses and
one rotation retires both: an AES-256-GCM key that seals values and documents, and an
HMAC-SHA256 key for the look-up hashes of ID numbers (`engine.crypto.personal.lookup_hash`).

Where the keys come from (`from_environment`): `RELIEF_DATA_KEY` (entries separated by
commas or blanks) or `RELIEF_DATA_KEY_FILE` (a file of entries, one a line, `#` comments).
The API's settings generate a key into `var/` outside production (api/settings.py).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine.errors import ReliefError

KEY_ENV = "RELIEF_DATA_KEY"
KEY_FILE_ENV = "RELIEF_DATA_KEY_FILE"
KEY_BYTES = 32
# Short, and free of the separators of entries (":" "," blanks) and of sealed tokens ("$").
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,24}")
_SEAL_INFO = b"relief-one-door/seal/aes-256-gcm"
_LOOKUP_INFO = b"relief-one-door/lookup/hmac-sha256"


class DataKeyError(ReliefError):
    """A data key is missing, malformed or not configured (names the key id)."""

    code = "data_key"
    status = 500


@dataclass(frozen=True)
class DataKey:
    """One configured key: its id and the two keys derived from it."""

    id: str
    aead: AESGCM
    lookup: bytes  # HMAC-SHA256 key of the look-up hashes


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(secret)


def _key(key_id: str, secret: bytes) -> DataKey:
    return DataKey(key_id, AESGCM(_derive(secret, _SEAL_INFO)), _derive(secret, _LOOKUP_INFO))


class Keyring:
    """The configured keys, primary first. Immutable: a new configuration is a new keyring."""

    def __init__(self, entries: list[tuple[str, bytes]]) -> None:
        if not entries:
            raise DataKeyError("no data key is configured")
        ids = [key_id for key_id, _ in entries]
        if len(set(ids)) != len(ids):
            raise DataKeyError(f"a data key id is given twice: {', '.join(ids)}", {"key_ids": ids})
        self._keys = {key_id: _key(key_id, secret) for key_id, secret in entries}
        self.primary = self._keys[ids[0]]
        self.ids = tuple(ids)
        self.opened: dict[str, object] = {}  # token -> value, kept by engine.crypto.seal.open_value

    def get(self, key_id: str) -> DataKey:
        """The key `key_id`; DataKeyError when it is not (or no longer) configured."""
        found = self._keys.get(key_id)
        if found is None:
            raise DataKeyError(f"data key '{key_id}' is not configured; it sealed data that was not rotated yet "
                            f"(configured: {', '.join(self.ids)})", {"key_id": key_id})
        return found

    def __iter__(self):  # noqa: ANN204 - Iterator[DataKey]
        return iter(self._keys.values())

    @classmethod
    def parse(cls, text: str, source: str = KEY_ENV) -> Keyring:
        """A keyring from entries `<id>:<base64>` separated by commas, blanks or lines;
        `#` starts a comment. `source` names where the text came from in errors."""
        entries = []
        for line in text.splitlines():
            for item in re.split(r"[,\s]+", line.split("#", 1)[0]):
                if item:
                    entries.append(_entry(item, source))
        if not entries:
            raise DataKeyError(f"{source} holds no data key (expected <id>:<base64 of 32 bytes>)", {"source": source})
        return cls(entries)


def _entry(item: str, source: str) -> tuple[str, bytes]:
    key_id, sep, encoded = item.partition(":")
    if not sep or KEY_ID.fullmatch(key_id) is None:
        raise DataKeyError(f"{source}: a data key entry is <id>:<base64>, with an id of letters, digits, '_', '.' "
                        f"or '-' (at most 24); got '{key_id[:24]}…'", {"source": source})
    try:
        secret = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise DataKeyError(f"{source}: data key '{key_id}' must be {KEY_BYTES} bytes in base64 "
                        f"(relief keys generate makes one)", {"source": source, "key_id": key_id})
    return key_id, secret


def generate_entry(key_id: str | None = None) -> str:
    """A new random key entry `<id>:<base64>`; the id defaults to `k` and 8 random hex digits."""
    key_id = key_id or f"k{secrets.token_hex(4)}"
    if KEY_ID.fullmatch(key_id) is None:
        raise DataKeyError(f"a key id is letters, digits, '_', '.' or '-' (at most 24), not '{key_id}'",
                        {"key_id": key_id})
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip('=')}"


def configured_text() -> tuple[str, str] | None:
    """(entries, where from) of RELIEF_DATA_KEY or RELIEF_DATA_KEY_FILE; None when neither is set."""
    inline, path = os.environ.get(KEY_ENV, "").strip(), os.environ.get(KEY_FILE_ENV, "").strip()
    if inline and path:
        raise DataKeyError(f"set {KEY_ENV} or {KEY_FILE_ENV}, not both")
    if inline:
        return inline, KEY_ENV
    if path:
        try:
            return Path(path).read_text("utf-8"), f"{KEY_FILE_ENV} ({path})"
        except OSError as err:
            raise DataKeyError(f"{KEY_FILE_ENV}: cannot read {path}: {err.strerror}", {"path": path}) from err
    return None


def from_environment() -> Keyring:
    """The keyring of RELIEF_DATA_KEY or RELIEF_DATA_KEY_FILE; DataKeyError when neither is set."""
    found = configured_text()
    if found is None:
        raise DataKeyError(f"no data key: set {KEY_ENV} (entries <id>:<base64>, primary first) or {KEY_FILE_ENV}; "
                        "`relief keys generate` makes one")
    return Keyring.parse(*found)


def local_key_file(var_dir: Path) -> Path:
    """The key file of a demo or test installation, generated on first use (mode 0600)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "data_keys"
    if not path.exists():
        # Created with its final mode, so the key is never readable by others, not even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("# data keys of this installation, primary first (relief keys --help)\n")
            out.write(generate_entry() + "\n")
    return path
