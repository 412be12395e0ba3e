"""Real local HTTP servers playing the outside systems: a department's business
system, the 12345 platform, an SMS gateway. Each records what it received and answers
with the statuses a test queues (200 when none is queued)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str = ""  # with the query string

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class OutsideSystem:
    """A system on 127.0.0.1; `answers` are popped per request (status, JSON body)."""

    name: str
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    # Set to hold the next answer until released (a request "in flight").
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[threading.Event] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/{self.name}"

    def _app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.received.append(Received(dict(request.headers), request.get_data(), request.full_path))
            status, body = self.answers.pop(0) if self.answers else (200, {"ok": True})
            hold = self.hold
            self.hold = None
            if hold is not None:
                self._held.append(hold)
        self.arrived.set()
        if hold is not None:
            hold.wait(60)
        return Response(json.dumps(body), status=status, mimetype="application/json")(environ, start_response)

    def release_all(self) -> None:
        """Let every held answer go (at the end of a test)."""
        for hold in [*self._held, *([self.hold] if self.hold else [])]:
            hold.set()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
