"""Declarative base and column helpers shared by the model modules."""

from __future__ import annotations

import datetime as dt
import uuid
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

    A `SealedDocument` column (engine.crypto.columns) seals `text` as it is instead of
    encoding the dict again; whoever builds one guarantees that
    `json.loads(text) == json.loads(json.dumps(dict))`."""

    __slots__ = ("text",)

    def __init__(self, content: dict[str, Any], text: str) -> None:
        super().__init__(content)
        self.text = text


def new_id() -> str:
    return str(uuid.uuid4())
