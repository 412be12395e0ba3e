"""The engine over HTTP against the same engine in-process (issue 15).

    python bench/http_api.py [--cases N] [--rounds R] [--postgres URL] [--clients C] [--client requests|lean]

One five-step case (five user tasks in a row, one small form each) driven start to end:
  1. in-process: the engine's commands called directly (start, the task list, complete);
  2. over HTTP: the same commands through the JSON API of `relief serve` (one waitress
     process, its own scratch database), from a keep-alive client: 11 API calls per case
     (the start, then for each step the task list and the completion); then 7 calls a case,
     each completion answering with the next task (`next_tasks`). The server's CPU per case
     (from /proc) and this client's are printed apart;
  3. with --postgres: C clients at once against one server process and against
     `relief serve --processes 2`, on scratch schemas of that server.
Runs are interleaved for --rounds rounds; each reports its best. It prints cases per
second and the ratios the issue sets targets for (HTTP ≥ 60 % of in-process; two
processes ≥ 1.6× one). Not part of the test suite."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from api.demo import DEMO_PASSWORD, seed  # noqa: E402
from engine import queries  # noqa: E402
from engine.auth.users import to_principal  # noqa: E402
from engine.crypto import keys  # noqa: E402
from engine.service import Engine  # noqa: E402
from engine.store.models import User  # noqa: E402
from engine.store.schemas import scratch_schema  # noqa: E402

STEPS = 5
WARM_UP = 3  # cases run before the timing starts, in-process and on each new server
PROCESS = "bench_five_steps"
FORM = {"type": "default", "id": "bench_step", "schemaVersion": 16, "components": [
    {"type": "radio", "key": "done", "label": "完成", "validate": {"required": True},
     "values": [{"label": "是", "value": "yes"}, {"label": "否", "value": "no"}]}]}


def _diagram() -> str:
    """Five user tasks in a row, for the window group (drawn, so that it deploys as any diagram)."""
    ns = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
          'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
          'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
          'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')
    nodes = ["Start_Apply"] + [f"Task_{i}" for i in range(1, STEPS + 1)] + ["End_Done"]
    body = ['<bpmn:startEvent id="Start_Apply" name="申请"><bpmn:outgoing>F_0</bpmn:outgoing></bpmn:startEvent>']
    for i in range(1, STEPS + 1):
        body.append(
            f'<bpmn:userTask id="Task_{i}" name="第{i}步"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="formKey" value="bench/step.json" />'
            '<spiffworkflow:property name="candidateGroups" value="window" />'
            f'</spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>F_{i - 1}</bpmn:incoming>'
            f'<bpmn:outgoing>F_{i}</bpmn:outgoing></bpmn:userTask>')
    body.append(f'<bpmn:endEvent id="End_Done" name="办结"><bpmn:incoming>F_{STEPS}</bpmn:incoming></bpmn:endEvent>')
    body += [f'<bpmn:sequenceFlow id="F_{i}" sourceRef="{a}" targetRef="{b}" />'
             for i, (a, b) in enumerate(zip(nodes, nodes[1:], strict=False))]
    shapes = []
    for i, node in enumerate(nodes):
        w, h = (36, 36) if node in ("Start_Apply", "End_Done") else (100, 80)
        bounds = f'<dc:Bounds x="{100 + 150 * i}" y="{100 - h // 2}" width="{w}" height="{h}" />'
        shapes.append(f'<bpmndi:BPMNShape id="{node}_di" bpmnElement="{node}">{bounds}</bpmndi:BPMNShape>')
    edges = [f'<bpmndi:BPMNEdge id="F_{i}_di" bpmnElement="F_{i}"><di:waypoint x="{136 + 150 * i}" y="100" />'
             f'<di:waypoint x="{250 + 150 * i}" y="100" /></bpmndi:BPMNEdge>' for i in range(STEPS + 1)]
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {ns} id="Defs_bench" '
            'targetNamespace="http://bpmn.io/schema/bpmn">'
            f'<bpmn:process id="{PROCESS}" name="五步案例" isExecutable="true">{"".join(body)}</bpmn:process>'
            f'<bpmndi:BPMNDiagram id="D"><bpmndi:BPMNPlane id="P" bpmnElement="{PROCESS}">{"".join(shapes)}'
            f'{"".join(edges)}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>')


def _files(tmp: Path) -> tuple[Path, Path]:
    """The diagram and the forms root beside it."""
    forms = tmp / "forms"
    (forms / "bench").mkdir(parents=True, exist_ok=True)
    (forms / "bench" / "step.json").write_text(json.dumps(FORM, ensure_ascii=False), "utf-8")
    diagram = tmp / "bench_five_steps.bpmn"
    diagram.write_text(_diagram(), "utf-8")
    return diagram, forms


def _prepared(url: str, tmp: Path) -> Engine:
    diagram, forms = _files(tmp)
    engine = Engine(url, forms_root=forms)
    engine.upgrade_schema()
    engine.deploy_paths([diagram], "bench", require_approval=False)
    with engine.db.session() as s:
        if s.scalar(sa.select(User.id).where(User.username == "window")) is None:
            seed(s, engine.clock.now())
    return engine


def in_process(url: str, tmp: Path, cases: int) -> float:
    engine = _prepared(url, tmp)
    with engine.db.reading() as s:
        who = to_principal(s.scalar(sa.select(User).where(User.username == "window")))
    began = cpu = 0.0
    for i in range(-WARM_UP, cases):  # the first cases warm the caches (specs, forms, statements): not timed
        if i == 0:
            began, cpu = time.perf_counter(), time.process_time()
        case = engine.start(PROCESS, {}, f"INPROC-{time.time_ns()}-{i}", who)
        for _ in range(STEPS):
            [task] = engine.tasks_for(who, queries.TaskFilter(instance_id=case.id))
            engine.complete(task.id, {"done": "yes"}, who)
        assert engine.instance(case.id).status == "completed"
    rate = cases / (time.perf_counter() - began)
    CPU_MS["in-process"] = (time.process_time() - cpu) / cases * 1000
    engine.dispose()
    return rate


# CPU milliseconds per case of the last run of each kind: the in-process loop, and for HTTP
# the server process (from /proc) and this process, the client, apart. On a loaded machine
# the wall-clock rates drift with the load; the CPU times much less.
CPU_MS: dict[str, float] = {}


def _process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) process `pid` has used (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`relief serve` on a scratch database, in its own process(es), no scheduler or workers."""

    def __init__(self, url: str, tmp: Path, processes: int = 1) -> None:
        _prepared(url, tmp).dispose()
        self.port = _free_port()
        env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_MODE": "test", "RELIEF_VAR_DIR": str(tmp),
               "RELIEF_FORMS_ROOT": str(tmp / "forms"), "RELIEF_SECRET_KEY": "bench-secret-key-not-for-production",
               "RELIEF_LOGIN_RATE": "1000 per minute", "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)]
        command += ["--processes", str(processes)] if processes > 1 else ["--no-background"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start ({' '.join(command)})")
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.base}/api/v1/openapi.json", timeout=15).ok
        except requests.RequestException:
            return False

    def client(self, lean: bool = False) -> requests.Session | LeanSession:
        session: requests.Session | LeanSession = LeanSession(self.port) if lean else requests.Session()
        r = session.post(f"{self.base}/api/v1/auth/token", json={"username": "window", "password": DEMO_PASSWORD},
                         timeout=30)
        r.raise_for_status()
        session.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return session

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


class LeanAnswer:
    """What `drive` reads of an answer (as requests' Response names it)."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status_code, self.text = status, body.decode()

    def json(self) -> Any:
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"{self.status_code}: {self.text}")


class LeanSession:
    """A keep-alive client on the standard library's http.client: `--client lean` measures the
    server without requests' own cost per call (~0.5 ms of CPU on this machine, a trivial
    WSGI app's round trip 0.74 ms with requests against 0.25 ms with this)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers: dict[str, str] = {}

    def _call(self, method: str, url: str, body: Any = None, params: dict[str, str] | None = None) -> LeanAnswer:
        path = url.split("/", 3)[3]
        path = f"/{path}?{urllib.parse.urlencode(params)}" if params else f"/{path}"
        headers = dict(self.headers)
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        self.connection.request(method, path, body=data, headers=headers)
        answer = self.connection.getresponse()
        return LeanAnswer(answer.status, answer.read())

    def post(self, url: str, json: Any = None, timeout: float = 30) -> LeanAnswer:  # noqa: A002 - as requests
        return self._call("POST", url, json)

    def get(self, url: str, params: dict[str, str] | None = None, timeout: float = 30) -> LeanAnswer:
        return self._call("GET", url, params=params)


def drive(session: requests.Session | LeanSession, base: str, cases: int, tag: str, next_tasks: bool = False) -> None:
    """`cases` five-step cases start to end through the API: 11 calls each (the start, then per
    step the task list and the completion); with `next_tasks` 7 (the start, one task list,
    then the completions, each answering with the next task)."""
    for i in range(cases):
        r = session.post(f"{base}/api/v1/instances", timeout=30,
                         json={"definition": PROCESS, "business_key": f"{tag}-{time.time_ns()}-{i}", "data": {}})
        assert r.status_code == 201, r.text
        case = r.json()["id"]
        opened: list[dict] | None = None
        for _ in range(STEPS):
            if opened is None:
                opened = session.get(f"{base}/api/v1/tasks", params={"instance": case}, timeout=30).json()
            [task] = opened
            r = session.post(f"{base}/api/v1/tasks/{task['id']}/complete", timeout=30,
                             json={"data": {"done": "yes"}, "next_tasks": next_tasks})
            assert r.status_code == 200, r.text
            opened = r.json().get("next_tasks") if next_tasks else None


def over_http(server: Server, cases: int, clients: int = 1, next_tasks: bool = False, lean: bool = False) -> float:
    sessions = [server.client(lean) for _ in range(clients)]
    threads = [threading.Thread(target=drive, args=(s, server.base, cases, f"HTTP{n}", next_tasks))
               for n, s in enumerate(sessions)]
    began, cpu, server_cpu = time.perf_counter(), time.process_time(), _process_cpu(server.process.pid)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = cases * clients
    rate = done / (time.perf_counter() - began)
    kind = "next" if next_tasks else "list"
    CPU_MS[f"server {kind}"] = (_process_cpu(server.process.pid) - server_cpu) / done * 1000
    CPU_MS[f"client {kind}"] = (time.process_time() - cpu) / done * 1000
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="also measure one against two server processes on this PostgreSQL")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for the process comparison")
    parser.add_argument("--client", choices=["requests", "lean"], default="requests",
                        help="the HTTP client of the SQLite runs: requests (as the issue measures), or the "
                             "standard library's http.client (lean: less of the client's own time in the wall clock)")
    args = parser.parse_args()
    os.environ.setdefault(keys.KEY_ENV, keys.generate_entry("bench"))  # scratch databases' data key
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def keep(name: str, rate: float, *cpu_of: str) -> None:
        best[name] = max(best.get(name, 0.0), rate)
        for kind in cpu_of:  # the least CPU per case over the rounds, as the best rate
            cpu[kind] = min(cpu.get(kind, float("inf")), CPU_MS[kind])

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for r in range(max(args.rounds, 1)):
            keep("in-process, SQLite", in_process(f"sqlite:///{tmp}/inproc-{r}.sqlite", tmp, args.cases),
                 "in-process")
            server = Server(f"sqlite:///{tmp}/http-{r}.sqlite", tmp)
            try:
                lean = args.client == "lean"
                drive(server.client(lean), server.base, WARM_UP, "WARM")  # as in-process: not timed
                keep("over HTTP, SQLite, 1 process (11 calls a case)", over_http(server, args.cases, lean=lean),
                     "server list", "client list")
                keep("over HTTP, SQLite, 1 process, next_tasks (7 calls)",
                     over_http(server, args.cases, next_tasks=True, lean=lean), "server next", "client next")
            finally:
                server.stop()
            if args.postgres:
                for processes in (1, 2):
                    with scratch_schema(args.postgres, "relief_bench_http") as url:
                        server = Server(url, tmp, processes)
                        try:
                            keep(f"over HTTP, PostgreSQL, {processes} process(es), {args.clients} clients",
                                 over_http(server, max(args.cases // args.clients, 2), args.clients))
                        finally:
                            server.stop()
    print(f"Five-step case, {args.cases} cases per run, best of {args.rounds} interleaved rounds, client {args.client}"
          f" (machine load {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)")
    for name, rate in best.items():
        print(f"  {name:<58} {rate:7.1f} cases/s")
    local = best["in-process, SQLite"]
    print(f"  CPU ms per case: in-process {cpu['in-process']:.1f}; over HTTP, server + client:"
          f" {cpu['server list']:.1f} + {cpu['client list']:.1f} (11 calls),"
          f" {cpu['server next']:.1f} + {cpu['client next']:.1f} (7 calls)")
    for kind, name, calls in (("list", "over HTTP, SQLite, 1 process (11 calls a case)", 11),
                              ("next", "over HTTP, SQLite, 1 process, next_tasks (7 calls)", 7)):
        print(f"  HTTP / in-process, {calls} calls: {best[name] / local:.0%} by wall clock,"
              f" {cpu['in-process'] / cpu['server ' + kind]:.0%} by the server's CPU,"
              f" {cpu['in-process'] / (cpu['server ' + kind] + cpu['client ' + kind]):.0%} by server + client CPU"
              " (target ≥ 60 %)")
    if args.postgres:
        one = best[f"over HTTP, PostgreSQL, 1 process(es), {args.clients} clients"]
        two = best[f"over HTTP, PostgreSQL, 2 process(es), {args.clients} clients"]
        print(f"  two processes / one: {two / one:.2f}× (target ≥ 1.6×)")


if __name__ == "__main__":
    main()
