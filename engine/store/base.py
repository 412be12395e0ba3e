"""Declarative base and column helpers shared by the model modules."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator):
    """Timezone-aware datetimes stored in UTC on both SQLite and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite returns naive values
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class EncodedJSON(dict):
    """A JSON document (a dict, for every reader) that carries its own encoded text.

    A `JSONDocument` column writes `text` as it is instead of encoding the dict again;
    whoever builds one guarantees that `json.loads(text) == json.loads(json.dumps(dict))`."""

    __slots__ = ("text",)

    def __init__(self, content: dict[str, Any], text: str) -> None:
        super().__init__(content)
        self.text = text


def _as_is(text: str) -> str:
    # A module-level function: psycopg caches its JSON dumper class per dumps function.
    return text


def _text_binder(dialect: sa.Dialect) -> Callable[[str], Any] | None:
    """How the driver takes JSON that is already text, or None if we don't know (then the
    dict is encoded as for plain sa.JSON)."""
    if dialect.name == "sqlite":  # sa.JSON binds json.dumps(value), then String's processor (none today)
        string_processor = sa.String().dialect_impl(dialect).bind_processor(dialect)
        return string_processor or _as_is
    wrapper = getattr(dialect, "_psycopg_Json", None)  # psycopg 3: sa.JSON binds Json(value)
    if wrapper is not None:
        return lambda text: wrapper(text, dumps=_as_is)
    return None


class JSONDocument(TypeDecorator):
    """sa.JSON (the same column type, so the schema is unchanged) that stores an
    `EncodedJSON` by its text: the incremental state dump re-encodes only what changed,
    and the column must not encode the whole document again. Any other value, and every
    read, goes through sa.JSON as before."""

    impl = sa.JSON
    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
        """The plain JSON processor, except for an `EncodedJSON`, which is bound as its text."""
        encode = self.impl_instance.bind_processor(dialect)
        bind_text = _text_binder(dialect)
        if bind_text is None:
            return encode

        def process(value: Any) -> Any:
            if type(value) is EncodedJSON:
                return bind_text(value.text)
            return encode(value) if encode is not None else value

        return process


def new_id() -> str:
    return str(uuid.uuid4())
