"""A real HTTP server (werkzeug, in a thread on a free port) around the test engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from api.app import create_app
from api.demo import DEMO_PASSWORD
from api.settings import Settings
from engine.service import Engine
from tests.support.re_execution import every_case_re_executes


class Client:
    """requests against the live server, with a bearer token per demo account."""

    def __init__(self, base: str, app=None) -> None:
        self.base = base
        self.app = app  # the Flask app behind the server (its route table)
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            r = requests.post(f"{self.base}/api/v1/auth/token",
                              json={"username": username, "password": DEMO_PASSWORD}, timeout=10)
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["token"]
        return self._tokens[username]

    def forget(self, username: str) -> None:
        """Drop the cached token of `username` (after a call that ended it, e.g. /auth/revoke)."""
        self._tokens.pop(username, None)

    def call(self, method: str, path: str, as_: str | None = None, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if as_:
            headers["Authorization"] = f"Bearer {self.token(as_)}"
        return requests.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kw)


@contextmanager
def serving(engine: Engine, var_dir: Path, mode: str = "test", **overrides: object) -> Iterator[Client]:
    """The app around `engine` on a free local port, in `mode` (and other settings), for the block's duration."""
    settings = Settings.from_env(mode=mode, database_url=engine.db.url, var_dir=var_dir,
                                 secret_key="test-secret-key-not-for-production", **overrides)
    app = create_app(settings, engine)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Client(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live(demo_users: Engine, tmp_path: Path) -> Iterator[Client]:
    """The app around the test engine, with the demo accounts, on a live local server."""
    with serving(demo_users, tmp_path) as client:
        yield client


@pytest.fixture(autouse=True)
def _X_AUDIT_every_case_re_executes(request: pytest.FixtureRequest) -> Iterator[None]:
    """X-AUDIT: every case a test of this package leaves re-executes to its stored state."""
    yield from every_case_re_executes(request)

