"""The Alembic migrations build exactly the schema the models describe."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.store import records  # noqa: F401 - register every table
from engine.store.base import Base
from engine.store.migrate import current


def _not_trigram(obj, name, type_, reflected, compare_to):
    """PostgreSQL's optional trigram search indexes (migration 0024) are not in the models."""
    return not (type_ == "index" and name and name.endswith("_trgm"))


def test_migrated_schema_matches_the_models(engine):
    with engine.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _not_trigram})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert current(engine.db.url) is not None


def test_upgrade_is_idempotent(engine):
    engine.upgrade_schema()
    with engine.db.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from alembic_version")).scalar() == 1
