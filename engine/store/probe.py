"""`python -m engine.store.probe URL`: print URL if that database answers, else nothing.

Used by `make test` so that PostgreSQL is tested whenever one is reachable."""

from __future__ import annotations

import sys

import sqlalchemy as sa


def reachable(url: str) -> bool:
    """True when a connection to `url` can be made within a few seconds."""
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


if __name__ == "__main__":
    if len(sys.argv) == 2 and reachable(sys.argv[1]):
        print(sys.argv[1])
