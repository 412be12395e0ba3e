"""Work inside one PostgreSQL schema of a shared server: the tests, the benchmarks and any
installation that shares a server each get a schema of their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from engine.store.db import normalise_url


def schema_url(base: str, schema: str) -> str:
    """`base` with every connection's search_path set to `schema`."""
    sep = "&" if "?" in base else "?"
    return f"{normalise_url(base)}{sep}options=-csearch_path%3D{schema}"


def _on_server(base: str, statement: str) -> None:
    engine = sa.create_engine(normalise_url(base))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def create_schema(base: str, prefix: str) -> tuple[str, str]:
    """Create a fresh schema named `prefix_<random>` on `base`; returns (schema, its URL)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _on_server(base, f'CREATE SCHEMA "{schema}"')
    return schema, schema_url(base, schema)


def drop_schema(base: str, schema: str) -> None:
    """Drop `schema` and everything in it."""
    _on_server(base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def scratch_schema(base: str, prefix: str) -> Iterator[str]:
    """The URL of a fresh schema on `base`, dropped when the block ends."""
    schema, url = create_schema(base, prefix)
    try:
        yield url
    finally:
        drop_schema(base, schema)
