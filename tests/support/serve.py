"""`relief serve` as a real process (waitress, the timer scheduler and the in-process
workers), for tests that kill it and start it again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from api.settings import ROOT

SECRET_KEY = "serve-test-secret-key-not-for-production"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """`relief serve` on `port` against `database_url` in test mode; `env` adds variables."""

    def __init__(self, database_url: str, port: int, log: Path, env: dict[str, str] | None = None) -> None:
        self.database_url, self.port, self.log_path = database_url, port, log
        self.env = {**os.environ, "RELIEF_DATABASE_URL": database_url, "RELIEF_MODE": "test",
                    "RELIEF_SECRET_KEY": SECRET_KEY, **(env or {})}
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def worker_id(self) -> str:
        """The name its in-process runner locks jobs with."""
        return f"serve@{socket.gethostname()}:{self.port}"

    def start(self, timeout: float = 60) -> ServeProcess:
        """Start it and wait until it answers."""
        with self.log_path.open("a") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
                                         cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"relief serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if requests.get(f"{self.base}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"relief serve did not answer within {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")[-5000:]

    def token(self, username: str, password: str) -> str:
        r = requests.post(f"{self.base}/api/v1/auth/token", json={"username": username, "password": password},
                          timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["token"]
