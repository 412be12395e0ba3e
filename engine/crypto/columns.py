"""Column types that seal on write and open on read, so no code path can forget to.

The keyring is the database's (`engine.store.db.Database` hangs it on each SQLAlchemy
dialect it creates): a column type only sees the dialect. A statement on an engine
without a keyring (a raw connection, Alembic) writes nothing to these columns and reads
ciphertext as ciphertext.

* `SealedDocument`: a whole JSON document (instances.state) in one envelope (bytes).
  An `EncodedJSON` is sealed from the text it carries (the incremental state dump).
* `SealedJSON`: a JSON document whose personal values (ID numbers, phones, bank
  accounts: `seal.is_personal`) are tokens; the rest stays readable to SQL.
* `SealedString`: a string column holding one personal value (an SMS recipient, the ID
  number of a registry row) as a token.
* `SealedText`: free text (an SMS text, a ledger summary, an error message), sealed only
  when it holds a personal number, so that it stays readable to SQL otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from engine.crypto import seal
from engine.crypto.keys import DataKeyError, Keyring
from engine.store.base import EncodedJSON

DIALECT_ATTR = "relief_keyring"


def keyring_of(dialect: sa.Dialect) -> Keyring:
    found = getattr(dialect, DIALECT_ATTR, None)
    if found is None:
        raise DataKeyError("this database connection has no data keys (engine.store.db.Database sets them)")
    return found


def session_keyring(session: Session) -> Keyring:
    """The keyring of the database `session` works on."""
    return keyring_of(session.get_bind().dialect)


class SealedDocument(TypeDecorator):
    """A JSON document sealed whole (LZ4, then AES-256-GCM): bytes in the database, a dict in Python."""

    impl = sa.LargeBinary
    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> Callable[[Any], Any]:
        def process(value: Any) -> bytes | None:
            if value is None:
                return None
            text = value.text if type(value) is EncodedJSON else json.dumps(value)
            return seal.seal_document(keyring_of(dialect).primary, text.encode())
        return process

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Callable[[Any], Any]:
        def process(value: Any) -> dict[str, Any] | None:
            if value is None:
                return None
            if isinstance(value, str):  # a document stored in clear as text (before 0009, SQLite)
                return json.loads(value)
            return json.loads(seal.open_document(keyring_of(dialect), bytes(value)))
        return process


class SealedJSON(TypeDecorator):
    """sa.JSON whose personal values are sealed one by one (tokens); the rest stays plain."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return seal.seal_tree(keyring_of(dialect).primary, value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return seal.open_tree(keyring_of(dialect), value)


class SealedString(TypeDecorator):
    """A text column holding one personal value as a token ("" and None stay as they are)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None or value == "":
            return value
        return seal.seal_value(keyring_of(dialect).primary, value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or not seal.is_token(value):
            return value  # empty, or stored in clear before 0009
        return seal.open_value(keyring_of(dialect), value)


class SealedText(TypeDecorator):
    """Free text, sealed as a token when it holds an ID number, a mobile or a bank card number."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if isinstance(value, str) and (seal.is_token(value) or seal.holds_personal_number(value)):
            return seal.seal_value(keyring_of(dialect).primary, value)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        return seal.open_value(keyring_of(dialect), value) if seal.is_token(value) else value
