"""`relief serve --processes N` (issue 15): several gunicorn processes sharing one PostgreSQL,
any of which answers any request, because nothing a request needs lives in a process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from api.demo import DEMO_PASSWORD
from tests.support.cluster import answers
from tests.support.serve import free_port

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def test_two_processes_serve_one_database_and_share_sign_in(engine, live, tmp_path):  # noqa: ARG001 - live seeds users
    """A token issued by one process is honoured by the other; each process answers."""
    if engine.db.is_sqlite:
        pytest.skip("several processes need PostgreSQL (`relief serve --processes` refuses SQLite)")
    port = free_port()
    env = {**os.environ, "RELIEF_DATABASE_URL": engine.db.url, "RELIEF_MODE": "test", "RELIEF_VAR_DIR": str(tmp_path),
           "RELIEF_SECRET_KEY": "test-secret-key-not-for-production", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--processes", "2", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(_children(server.pid)) < 2 or not answers(base):
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the server did not come up within 60 s"
            time.sleep(0.2)
        token = requests.post(f"{base}/api/v1/auth/token", json={"username": "designer", "password": DEMO_PASSWORD},
                              timeout=10).json()["token"]
        # New connections each time: the two processes share the port, the kernel spreads them.
        statuses = [requests.get(f"{base}/api/v1/definitions", headers={"Authorization": f"Bearer {token}"},
                                 timeout=10).status_code for _ in range(40)]
        assert statuses == [200] * 40
        assert len(_children(server.pid)) == 2
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_processes_refuse_sqlite_in_one_line(tmp_path):
    """Bad configuration is one clear line and a non-zero exit, never a traceback."""
    env = {**os.environ, "RELIEF_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "RELIEF_MODE": "test",
           "RELIEF_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--processes", "2", "--port", str(free_port())],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error: --processes needs PostgreSQL") and "Traceback" not in r.stderr
