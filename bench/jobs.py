"""Jobs per second through the HTTP worker protocol, with 1 and 4 worker processes.

    python bench/jobs.py [--jobs N] [--postgres URL]

On PostgreSQL (a schema of its own, dropped afterwards): N cases of a one-step diagram
(start → ledger.record → end) wait for a worker. The API runs in its own process
(`relief serve --no-background`, waitress); `relief worker` processes fetch over HTTP,
run the real ledger handler (a row in the ledger, kept through the API: the worker has
only its token) and complete the job, which runs the case to its end (engine step,
projections, audit) in one transaction.

The rate counts from the first to the last completed job (so process start-up is not
measured). The 4-worker run is repeated with two API processes, since one waitress
process (one GIL) serves every fetch and complete in the first two runs. The baseline,
measured in the same run on the same database: the in-process runner of `relief serve`
(no HTTP). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from engine.crypto import keys  # noqa: E402
from engine.definitions.bundle import BundleFile  # noqa: E402
from engine.service import Engine  # noqa: E402
from engine.store.models import Job  # noqa: E402
from engine.store.schemas import create_schema, drop_schema  # noqa: E402
from workers.runner import detach, run_pending  # noqa: E402

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_bench_job" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bench_job" name="台账（基准）" isExecutable="true">
    <bpmn:startEvent id="Start_Bench"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="Service_Ledger" name="录入台账">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="ledger.record" resultVariable="entry">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="stage" type="str" value="'acceptance'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="End_Bench"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_Bench" targetRef="Service_Ledger" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Service_Ledger" targetRef="End_Bench" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_bench"><bpmndi:BPMNPlane id="Plane_bench" bpmnElement="bench_job">
    <bpmndi:BPMNShape id="S1" bpmnElement="Start_Bench"><dc:Bounds x="100" y="100" width="36" height="36" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="S2" bpmnElement="Service_Ledger"><dc:Bounds x="180" y="78" width="100" height="80" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="S3" bpmnElement="End_Bench"><dc:Bounds x="330" y="100" width="36" height="36" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="E1" bpmnElement="Flow_1"><di:waypoint x="136" y="118" /><di:waypoint x="180" y="118" />
    </bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="E2" bpmnElement="Flow_2"><di:waypoint x="280" y="118" /><di:waypoint x="330" y="118" />
    </bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_cases(engine: Engine, n: int, tag: str) -> None:
    for i in range(n):
        engine.start("bench_job", {}, f"{tag}-{i}", "bench")


def _rate(engine: Engine, since: dt.datetime) -> tuple[int, float]:
    """(completed jobs, jobs per second from the first to the last completion)."""
    with engine.db.session() as s:
        ends = s.scalars(sa.select(Job.ended_at).where(Job.state == "completed", Job.ended_at >= since)
                         .order_by(Job.ended_at)).all()
    if len(ends) < 2:
        return len(ends), 0.0
    return len(ends), (len(ends) - 1) / max((ends[-1] - ends[0]).total_seconds(), 1e-9)


def _pending(engine: Engine) -> int:
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count(Job.id)).where(Job.state == "pending"))


def _wait_for_api(url: str, proc: subprocess.Popen) -> None:
    import requests

    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit(f"the API process exited: {proc.communicate()[0]}")
        try:
            requests.get(f"{url}/api/v1/openapi.json", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("the API did not start")


def _http_run(engine: Engine, env: dict[str, str], urls: list[str], token: str, workers: int,
              n: int) -> tuple[int, float]:
    """Worker i talks to API process i mod len(urls)."""
    tag = f"http{workers}-{uuid.uuid4().hex[:6]}"
    _start_cases(engine, n, tag)
    since = engine.clock.now()
    worker_env = {k: v for k, v in env.items() if k != "RELIEF_DATABASE_URL"}  # as on another machine
    procs = [subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--url", urls[i % len(urls)], "--token",
                               token, "--topics", "ledger.record", "--wait-seconds", "1"], cwd=ROOT, env=worker_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(workers)]
    deadline = time.monotonic() + 600
    while _pending(engine) and time.monotonic() < deadline:
        time.sleep(0.2)
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(30)
    return _rate(engine, since)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--postgres", default=os.environ.get("RELIEF_BENCH_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    # Scratch databases: a data key of this run (engine.crypto), inherited by the processes it starts.
    os.environ.setdefault(keys.KEY_ENV, keys.generate_entry("bench"))

    schema, url = create_schema(args.postgres, "relief_bench")
    apis: list[subprocess.Popen] = []
    try:
        engine = Engine(url)
        engine.upgrade_schema()
        engine.deploy([BundleFile("bench_job.bpmn", "bpmn", DIAGRAM.encode())], "bench")
        token = engine.create_worker_token("bench", ["ledger.record"], "bench")[1]

        _start_cases(engine, args.jobs, "inproc")
        since = engine.clock.now()
        run_pending(engine, topics=["ledger.record"])
        baseline = _rate(engine, since)
        detach(engine)  # the cases below are for the HTTP workers: no push to this process's runner

        env = dict(os.environ, RELIEF_DATABASE_URL=url, RELIEF_SECRET_KEY="bench-secret", RELIEF_MODE="production")
        urls = []
        for _ in range(2):
            port = _free_port()
            apis.append(subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--no-background", "--port",
                                          str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.STDOUT, text=True))
            urls.append(f"http://127.0.0.1:{port}")
            _wait_for_api(urls[-1], apis[-1])
        one = _http_run(engine, env, urls[:1], token, 1, args.jobs)
        four = _http_run(engine, env, urls[:1], token, 4, args.jobs)
        four_two = _http_run(engine, env, urls, token, 4, args.jobs)
        print(f"jobs per second on PostgreSQL, {args.jobs} jobs each (fetch, ledger row, complete → case ends):")
        print(f"  in-process runner (baseline, no HTTP):          {baseline[1]:7.1f} /s  ({baseline[0]} jobs)")
        print(f"  HTTP, 1 worker process, 1 API process:          {one[1]:7.1f} /s  ({one[0]} jobs)")
        print(f"  HTTP, 4 worker processes, 1 API process:        {four[1]:7.1f} /s  ({four[0]} jobs)")
        print(f"  HTTP, 4 worker processes, 2 API processes:      {four_two[1]:7.1f} /s  ({four_two[0]} jobs)")
        if baseline[1] and one[1]:
            print(f"  HTTP 1 / in-process: {one[1] / baseline[1]:.2f}   4 workers / 1: {four[1] / one[1]:.2f}"
                  f"   4 workers on 2 APIs / 1: {four_two[1] / one[1]:.2f}")
        engine.dispose()
    finally:
        for api in apis:
            api.send_signal(signal.SIGTERM)
            api.wait(30)
        drop_schema(args.postgres, schema)


if __name__ == "__main__":
    main()
