"""What every page view needs: who is signed in, the page's own URL for `next`, and
one page of a long list (pagination)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, request

from engine.auth import Principal
from engine.service import Engine

PAGE_SIZE = 50


def engine() -> Engine:
    """The engine: pages call its public commands and queries, as the API does."""
    return current_app.extensions["relief_engine"]


def principal() -> Principal | None:
    """Who is signed in (session cookie or bearer token), or None on a public page."""
    return g.get("principal")


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site (never another host: no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@dataclass
class Page:
    """One page of a list: its rows, how many in all, and links to the neighbouring pages."""

    items: Sequence[Any]
    total: int
    offset: int
    limit: int = PAGE_SIZE
    more: bool = False  # `total` is a capped count: there are more than total - 1 (engine.queries.COUNT_CAP)

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    @property
    def number(self) -> int:
        return self.offset // self.limit + 1

    @property
    def count(self) -> int:
        return max(1, -(-self.total // self.limit))

    def url(self, number: int) -> str:
        """This page's URL (same filters) at page `number`."""
        args = {k: v for k, v in request.args.items(multi=True) if k != "page" and v}
        if number > 1:
            args["page"] = str(number)
        query = urlencode(list(args.items()))
        return request.path + (f"?{query}" if query else "")

    def numbers(self) -> list[int | None]:
        """Page numbers to link, None for a gap: 1 … 4 5 6 … 20."""
        wanted = {1, self.count, self.number - 1, self.number, self.number + 1}
        out: list[int | None] = []
        for n in range(1, self.count + 1):
            if n in wanted:
                if out and out[-1] is not None and n - out[-1] > 1:
                    out.append(None)
                out.append(n)
        return out


def page_offset(limit: int = PAGE_SIZE) -> int:
    """The offset of `?page=N` (1 when absent or not a sensible number)."""
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isdigit() and len(raw) < 7 else 1
    return (max(number, 1) - 1) * limit
