"""deploy/local_cluster.sh as a test's cluster (issue 15): two app processes, a scheduler and
job workers on the test's PostgreSQL, each a real process; `relief` commands from yet another
process (the clock moves there). Shared by tests/api/test_local_cluster.py (one case of each
kind) and tests/reliability/test_cluster.py (200 cases)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from api.settings import ROOT
from tests.api.conftest import Client
from tests.support.serve import free_port

SECRET_KEY = "test-secret-key-not-for-production"


def until(what: Callable[[], Any], seconds: float, message: Callable[[], str] | str, every: float = 0.25) -> Any:
    """`what()` once it is truthy; AssertionError with `message` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (got := what()):
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(every)
    return got


def answers(base: str) -> bool:
    """Whether the server at `base` answers its API document."""
    try:  # gunicorn binds the port before its processes are ready: a busy machine may take a while
        return requests.get(f"{base}/api/v1/openapi.json", timeout=15).status_code == 200
    except requests.RequestException:
        return False


def relief(env: dict[str, str], *args: str, check: bool = True, timeout: float = 120) -> str:
    """Run `relief ARGS` as another process; its output (stdout and stderr)."""
    done = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0 or not check, f"relief {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout + done.stderr


@contextmanager
def local_cluster(database_url: str, var_dir: Path, extra_env: dict[str, str] | None = None,
                  ready_seconds: float = 120) -> Iterator[tuple[Client, dict[str, str]]]:
    """deploy/local_cluster.sh on a free port against `database_url`, the engine's clock reset
    before and after; yields a client of its app processes and the environment its parts run
    with (for `relief`). Every part is stopped on leaving, whatever happened."""
    port = free_port()
    env = {**os.environ, "RELIEF_DATABASE_URL": database_url, "RELIEF_MODE": "test", "RELIEF_VAR_DIR": str(var_dir),
           "RELIEF_SECRET_KEY": SECRET_KEY, "PYTHONPATH": str(ROOT), "RELIEF_BIN": f"{sys.executable} -m api.cli",
           **(extra_env or {})}
    relief(env, "clock", "reset")
    log_path = var_dir / "cluster.log"
    with log_path.open("w") as log:
        parts = subprocess.Popen(["bash", str(Path(ROOT) / "deploy" / "local_cluster.sh"), str(port)], cwd=ROOT,
                                 env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            until(lambda: parts.poll() is not None or answers(base), ready_seconds, "the cluster did not come up")
            assert parts.poll() is None, log_path.read_text()
            yield Client(base), env
        finally:
            os.killpg(parts.pid, signal.SIGTERM)
            parts.wait(timeout=60)
            relief(env, "clock", "reset", check=False)
