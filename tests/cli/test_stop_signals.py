"""`relief scheduler` and `relief worker` stop on SIGTERM however many arrive (systemd, and
deploy/local_cluster.sh, send it to the process group and then to each part). A scheduler
once hung this way (py-spy: the second signal's handler waiting for the Event lock the first
one's held) and went on firing a test database's timers after its cluster had stopped; the
handlers now only note the signal. The race itself needs a signal to land inside the other
handler, which this test provokes but cannot force: it fails for a part that does not stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.settings import ROOT

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def _started(args: list[str], tmp_path: Path, ready: str) -> subprocess.Popen:
    env = {**os.environ, "RELIEF_MODE": "test", "RELIEF_VAR_DIR": str(tmp_path),
           "RELIEF_DATABASE_URL": f"sqlite:///{tmp_path / 'relief.sqlite'}"}
    subprocess.run([sys.executable, "-m", "api.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if ready in line:
            return proc
    raise AssertionError(f"{args[0]} did not start (exit {proc.wait()})")


def _stops_on_a_burst_of_sigterm(proc: subprocess.Popen) -> None:
    for _ in range(300):  # one after the other: a handler may run inside the previous one
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.0005)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("it did not stop within 30 s of SIGTERM")


def test_X_TIMERS_the_scheduler_stops_on_repeated_sigterm(engine, tmp_path):
    for _ in range(3):
        _stops_on_a_burst_of_sigterm(_started(["scheduler"], tmp_path, "running"))
        time.sleep(0.1)


def test_X_WORKERS_a_worker_stops_on_repeated_sigterm(engine, tmp_path):
    # Its fetches fail (nothing listens there): the worker keeps retrying until it is stopped.
    args = ["worker", "--url", "http://127.0.0.1:9", "--token", "not-checked-before-a-fetch", "--wait-seconds", "1"]
    for _ in range(3):
        proc = _started(args, tmp_path, "thread(s) on")
        _stops_on_a_burst_of_sigterm(proc)
