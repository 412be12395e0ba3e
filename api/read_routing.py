"""Reads from a PostgreSQL read replica where that is safe (issue 15: RELIEF_DATABASE_READ_URL).

A GET or HEAD request may read the replica, unless its caller changed something in the last
`read_your_writes_seconds`: a browser (or an API client keeping cookies) that just completed
a task must see it done on the next page, whichever process answers and however far the
replica lags. A successful state-changing request sets a short-lived cookie that keeps that
caller's reads on the primary; inside one request, a commit sends the rest of its reads to
the primary too (engine.store.db). The scheduler, the workers and the CLI never read the
replica. The cookie only chooses where to read, never what a caller may see: forging it
costs the primary a read, nothing more."""

from __future__ import annotations

import time
from contextlib import ExitStack

from flask import Flask, g, request
from werkzeug.wrappers import Response

from engine.service import Engine

COOKIE = "relief_primary_until"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def _wrote_recently() -> bool:
    try:
        return float(request.cookies.get(COOKIE, "0")) > time.time()
    except ValueError:
        return False


def install(app: Flask, engine: Engine, read_your_writes_seconds: int) -> None:
    """Route the reads of `app`'s safe requests to the replica when `engine` has one."""
    if not engine.db.has_replica:
        return

    @app.before_request
    def _choose_reads() -> None:
        if request.method in SAFE and not _wrote_recently():
            stack = ExitStack()
            stack.enter_context(engine.db.replica_reads())
            g.relief_replica_reads = stack

    @app.after_request
    def _remember_write(response: Response) -> Response:
        if request.method not in SAFE and response.status_code < 400:
            until = time.time() + read_your_writes_seconds
            response.set_cookie(COOKIE, f"{until:.3f}", max_age=read_your_writes_seconds, httponly=True,
                                samesite="Lax", secure=request.is_secure)
        return response

    @app.teardown_request
    def _end_reads(_error: BaseException | None) -> None:
        stack = g.pop("relief_replica_reads", None)
        if stack is not None:
            stack.close()
