"""People as the pages name them: a user's display name instead of the username the
engine records (audit events, assignees). Names are looked up once per request, in one
query for all the names a page asks for first (`know`), then cached in `g`."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g

from web.pages import engine


def know(usernames: Iterable[str | None]) -> None:
    """Look up the display names of `usernames` in one query (for a page listing many)."""
    cache: dict[str, str] = g.setdefault("display_names", {})
    missing = {u for u in usernames if u and u not in cache}
    if missing:
        cache.update(engine().users.display_names(missing))


def person(username: str | None) -> str:
    """`username`'s display name (the username itself for workers and systems)."""
    if not username:
        return ""
    know([username])
    return g.display_names.get(username, username)
