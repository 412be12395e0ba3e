"""`relief serve --processes N`: the app under gunicorn, N processes sharing one PostgreSQL.

Each process builds its own engine after the fork (database pools are never shared across a
fork). The scheduler and the job runners are not in these processes: run `relief scheduler`
and `relief worker` beside them (docs/deploy.md), as many as the load needs; every part
keeps its state in the database, so any process may answer any request."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from api.settings import ConfigurationError, Settings


class ReliefServer(BaseApplication):  # type: ignore[misc] - gunicorn ships no type hints
    """gunicorn configured from the `relief serve` options, loading `create_app` per process."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from api.app import create_app, make_engine  # noqa: PLC0415 - after the fork, in each process
        from workers.registry import topics  # noqa: PLC0415 - the topics deployments may name, as `relief serve`

        return create_app(self.settings, make_engine(self.settings, known_topics=topics()))


def serve(settings: Settings, host: str, port: int, processes: int, threads: int = 8) -> None:
    """Serve on host:port with `processes` gunicorn processes of `threads` threads each."""
    if settings.database_url.startswith("sqlite"):
        raise ConfigurationError("--processes needs PostgreSQL (RELIEF_DATABASE_URL): SQLite serialises "
                                 "every writer, several processes would only wait on each other")
    ReliefServer(settings, {
        "bind": f"{host}:{port}",
        "workers": processes,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 30,
        "accesslog": None,
        "proc_name": "relief-serve",
    }).run()
