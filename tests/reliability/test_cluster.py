"""Issue 15's multi-process test: two app processes (gunicorn), a timer scheduler and two job
workers on one PostgreSQL (deploy/local_cluster.sh) carry 200 cases of the three variants at
once, driven over HTTP by several client threads as window clerks, centres and supervisors.

Each case takes a short path of its variant that still meets every part of the cluster:
- Jiangyin: the materials check is left open past its deadline (the scheduler fires the
  check timer: a supervision task), then the window finds the materials complete, the
  centre finds the applicant ineligible (a refusal SMS by a worker), the supervisor closes
  the supervision;
- Tengzhou: the household is fetched from the data platform by a worker, the commitment is
  left unsigned past its deadline (the timer: a delay SMS and a supervision), then the
  applicant refuses the authorisation (a refusal SMS) and the supervisor closes;
- Wuhai: the window finds materials missing (an SMS listing them), the applicant never
  comes back and the resubmission deadline ends the case.
The deadlines come due by `relief clock advance` from yet another process.

Then: every case ended; every timer either fired once (one fire_timer event) or was
cancelled with its task; every job completed with one completion; every SMS reached the
gateway (a recorder in this test, standing for the operator's) once per job, counted by its
idempotency key; `relief audit verify --all` re-executes every case and checks every chain."""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD, seed
from engine.auth import create_user
from engine.store.models import AuditEvent, HumanTask, Instance, Job, Timer, User
from tests.api.conftest import Client
from tests.scenarios import test_jiangyin as jiangyin
from tests.scenarios import test_tengzhou as tengzhou
from tests.scenarios import test_wuhai as wuhai
from tests.support.cluster import local_cluster, relief, until

ROOT = Path(__file__).resolve().parents[2]
CASES = 200
CLIENT_THREADS = 6
SUPERVISED = {"delay_reason": "窗口当日受理量大，未及时办理", "supervision_opinion": "已督促经办人当日办结"}
# Who does each variant's work: (variant, candidate group) -> user; the demo accounts are Jiangyin's.
STAFF: dict[tuple[str, str], str] = {
    ("jiangyin", "window"): "window", ("jiangyin", "county-centre"): "centre",
    ("jiangyin", "supervisor"): "supervisor",
    ("tengzhou", "window"): "window-tengzhou", ("tengzhou", "supervisor"): "supervisor-tengzhou",
    ("wuhai", "window"): "window-wuhai", ("wuhai", "supervisor"): "supervisor-wuhai",
}
REGIONS = {"tengzhou": "370481", "wuhai": "150302"}


@dataclass
class Variant:
    """How one variant's cases are started and what its tasks are answered with."""

    name: str
    process: str
    start_data: dict[str, Any]
    answers: dict[str, dict[str, Any]]  # task (BPMN id) -> form data; supervision by its form
    first: dict[str, Any] | None = None  # (task, data) answered before the clock moves


VARIANTS = [
    Variant("jiangyin", jiangyin.PROCESS, jiangyin.application(), {
        "Task_CheckMaterials": {"materials_complete": "yes"},
        "Task_Accept": {"eligible": "no", "refusal_reason": "家庭人均月收入1500元，高于本市最低生活保障标准"}}),
    Variant("tengzhou", tengzhou.PROCESS, tengzhou.application(tengzhou.LI, "李玉梅"), {
        "Task_SignCommitment": {"commitment_signed": "yes", "authorisation_signed": "no",
                                "refusal_note": "不同意查询银行存款"}}),
    Variant("wuhai", wuhai.PROCESS, wuhai.registration(), {},
            first={"Task_WindowReview": {"review_outcome": "incomplete", "missing_materials": "户口簿、收入证明",
                                         "supplement_days": 3}}),
]
SUPERVISION_FORMS = {"jiangyin/supervise.json": SUPERVISED,
                     "tengzhou/supervision.json": {**SUPERVISED, "supervision_action": "urged"}}


def _user_tasks(variant: str) -> dict[str, tuple[str, str]]:
    """Each user task of the variant's diagram (and the shared ones): BPMN id -> (candidate
    group, form key), read from workflows/ as deployed, so the driver follows the diagrams."""
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
          "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
    tasks: dict[str, tuple[str, str]] = {}
    for path in [*(ROOT / "workflows" / variant).glob("*.bpmn"), *(ROOT / "workflows" / "common").glob("*.bpmn")]:
        for task in ET.parse(path).getroot().iterfind(".//bpmn:userTask", ns):
            props = {p.get("name"): p.get("value") or "" for p in task.iterfind(".//spiff:property", ns)}
            # (a group given by an expression is left empty here: GROUPS names it for these cases)
            tasks[task.get("id", "")] = (props.get("candidateGroups", "").split(",")[0].strip(),
                                         props.get("formKey", ""))
    return tasks


USER_TASKS = {v.name: _user_tasks(v.name) for v in VARIANTS}
# Groups the diagram gives by an expression (`candidateGroupsExpression`), as they come out for these cases.
GROUPS = {"Task_SignCommitment": "window"}


class SmsGateway:
    """The operator's SMS gateway as the workers meet it: POSTs recorded with their idempotency key."""

    def __init__(self) -> None:
        self.received: list[str] = []
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    received.append(self.headers["Idempotency-Key"] or body["idempotency_key"])
                answer = b'{"accepted": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _staff(engine: Any) -> None:
    """The demo accounts (Jiangyin) and the other two variants' window clerks and supervisors."""
    with engine.db.session() as s:
        seed(s, engine.clock.now())
        have = set(s.scalars(sa.select(User.username)))
        for (variant, group), username in STAFF.items():
            if username not in have and variant in REGIONS:
                role = "supervisor" if group == "supervisor" else "clerk"
                create_user(s, username, DEMO_PASSWORD, [role], [group], None, REGIONS[variant], username,
                            engine.clock.now())


@pytest.fixture
def cluster(engine, scenario, tmp_path) -> Iterator[tuple[Client, dict[str, str], SmsGateway]]:
    """deploy/local_cluster.sh with two workers, the SMS gateway recorder, staff and a household."""
    if engine.db.is_sqlite:
        pytest.skip("a cluster shares PostgreSQL")
    _staff(engine)
    scenario.seed_household(tengzhou.LI, name="李玉梅", income_monthly=800)
    sms = SmsGateway()
    workers = {"RELIEF_CLUSTER_WORKERS": "2", "RELIEF_WORKER_CONCURRENCY": "4", "RELIEF_SMS_GATEWAY_URL": sms.url}
    try:
        with local_cluster(engine.db.url, tmp_path, workers) as (client, env):
            yield client, env, sms
    finally:
        sms.server.shutdown()


class Office:
    """The staff at work, over HTTP: starts cases and answers their open tasks. The client
    threads share one set of bearer tokens, each signed in for once (a sign-in hashes the
    password on purpose slowly: forty of them at once would be a test of that, not of this)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        for username in sorted(set(STAFF.values())):
            client.token(username)

    def start(self, variant: Variant, index: int) -> str:
        r = self.client.call("POST", "/api/v1/instances", as_=STAFF[(variant.name, "window")], json={
            "definition": variant.process, "business_key": f"CLUSTER-{variant.name}-{index}",
            "data": variant.start_data})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def open_tasks(self, variant: Variant, instance_id: str) -> list[dict[str, Any]]:
        """The case's open tasks as its page shows them to the window clerk (one request), with
        the group and form each has in the diagram."""
        r = self.client.call("GET", f"/api/v1/instances/{instance_id}", as_=STAFF[(variant.name, "window")])
        assert r.status_code == 200, r.text
        diagram = USER_TASKS[variant.name]
        return [{**t, "candidate_groups": [GROUPS.get(t["bpmn_id"]) or diagram[t["bpmn_id"]][0]],
                 "form_key": diagram[t["bpmn_id"]][1]} for t in r.json()["open_tasks"]]

    def answer(self, variant: Variant, task: dict[str, Any], answers: dict[str, dict[str, Any]]) -> None:
        data = answers.get(task["bpmn_id"]) or SUPERVISION_FORMS.get(task["form_key"])
        assert data is not None, f"{variant.name}: no answer for {task['bpmn_id']} ({task['form_key']})"
        user = STAFF[(variant.name, task["candidate_groups"][0])]
        r = self.client.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_=user, json={"data": data})
        assert r.status_code == 200, f"{task['bpmn_id']} as {user}: {r.text}"

    def first_step(self, variant: Variant, instance_id: str) -> None:
        """The step before the deadlines (Wuhai's review); Jiangyin and Tengzhou leave theirs open."""
        if variant.first is None:
            return
        [(bpmn_id, data)] = variant.first.items()
        task = until(lambda: next((t for t in self.open_tasks(variant, instance_id) if t["bpmn_id"] == bpmn_id),
                                   None), 120, f"{bpmn_id} of {instance_id} did not open")
        self.answer(variant, task, variant.first)

    def finish(self, variant: Variant, instance_id: str) -> None:
        """Answer the case's open tasks until it has none (its last jobs then end it)."""
        deadline = time.monotonic() + 180
        while tasks := self.open_tasks(variant, instance_id):
            assert time.monotonic() < deadline, f"{instance_id} keeps tasks open: {[t['bpmn_id'] for t in tasks]}"
            for task in tasks:
                self.answer(variant, task, variant.answers)


def _in_parallel(work: Callable[[Office, int], Any], office: Office, count: int) -> list[Any]:
    """`work(office, i)` for i < count, by CLIENT_THREADS threads at once."""
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        return list(pool.map(lambda i: work(office, i), range(count)))


def _count(engine: Any, query: Any) -> int:
    with engine.db.reading() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)


def test_X_WORKERS_X_TIMERS_X_AUDIT_two_apps_a_scheduler_and_two_workers_carry_200_cases(cluster, engine, figures):
    client, env, sms = cluster
    office = Office(client)
    began = time.monotonic()
    variants = [VARIANTS[i % len(VARIANTS)] for i in range(CASES)]

    def start(office: Office, i: int) -> str:
        instance_id = office.start(variants[i], i)
        office.first_step(variants[i], instance_id)
        return instance_id

    ids = _in_parallel(start, office, CASES)
    figures["cluster seconds: start 200 cases (HTTP)"] += round(time.monotonic() - began)
    waiting = sa.select(Timer.id).where(Timer.instance_id.in_(ids), Timer.state.not_in(("fired", "cancelled")))
    unfinished_jobs = sa.select(Job.id).where(Job.instance_id.in_(ids), Job.state != "completed")
    # Before the clock moves: every case waits on its statutory timer, no job is left.
    until(lambda: _count(engine, waiting) == CASES and _count(engine, unfinished_jobs) == 0, 240,
           lambda: f"{_count(engine, waiting)} timers waiting, {_count(engine, unfinished_jobs)} jobs unfinished")

    moved = time.monotonic()
    figures["cluster seconds: start 200 cases and run their first jobs"] += round(time.monotonic() - began)
    relief(env, "clock", "advance", "10d")
    until(lambda: _count(engine, waiting) == 0, 240,
           lambda: f"the scheduler left {_count(engine, waiting)} due timers unfired")
    figures["cluster seconds: fire the timers"] += round(time.monotonic() - moved)

    finishing = time.monotonic()
    _in_parallel(lambda staff, i: staff.finish(variants[i], ids[i]), office, CASES)
    figures["cluster seconds: answer the remaining tasks (HTTP)"] += round(time.monotonic() - finishing)
    running = sa.select(Instance.id).where(Instance.id.in_(ids), Instance.status != "completed")
    until(lambda: _count(engine, running) == 0 and _count(engine, unfinished_jobs) == 0, 240,
           lambda: f"{_count(engine, running)} cases running, {_count(engine, unfinished_jobs)} jobs unfinished")
    driven = time.monotonic() - began
    figures["cluster seconds: drive the cases to their end"] += round(driven)

    with engine.db.reading() as s:
        timers = Counter(s.scalars(sa.select(Timer.state).where(Timer.instance_id.in_(ids))))
        fired = Counter(e.input["timer"] for e in s.scalars(
            sa.select(AuditEvent).where(AuditEvent.instance_id.in_(ids), AuditEvent.command == "fire_timer")))
        jobs = s.execute(sa.select(Job.id, Job.topic, Job.attempts, Job.idempotency_key, Job.result)
                         .where(Job.instance_id.in_(ids))).all()
        completions = Counter(e.input["job"] for e in s.scalars(
            sa.select(AuditEvent).where(AuditEvent.instance_id.in_(ids), AuditEvent.command == "complete_job")))
        cases = Counter(s.scalars(sa.select(Instance.process_key).where(Instance.id.in_(ids))))
        open_tasks = s.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                              .where(HumanTask.instance_id.in_(ids), HumanTask.state == "open"))
    assert cases == {v.process: len([x for x in variants if x is v]) for v in VARIANTS} and open_tasks == 0
    # Timers: each case's statutory deadline fired; none fired twice; the rest went with their tasks.
    assert set(timers) <= {"fired", "cancelled"} and timers["fired"] >= CASES
    assert len(fired) == timers["fired"] and set(fired.values()) == {1}
    # Jobs: each completed once, in one attempt; each SMS reached the gateway once by its key.
    assert sorted(completions) == sorted(str(j.id) for j in jobs) and set(completions.values()) == {1}
    assert {j.attempts for j in jobs} == {1}
    sms_keys = sorted(j.idempotency_key for j in jobs if j.topic == "applicant.notify" and j.result
                      and j.result.get("channel") == "sms")
    per_key = Counter(sms.received)
    assert sorted(per_key) == sms_keys and set(per_key.values()) == {1}
    assert len(sms_keys) >= CASES  # every path sends the applicant at least one SMS

    verified = relief(env, "audit", "verify", "--all", timeout=600)
    assert f"{CASES} case(s) verified by re-execution, 0 failed" in verified, verified
    figures["cluster cases carried (2 apps, 1 scheduler, 2 workers)"] += CASES
    figures["cluster timers fired once"] += timers["fired"]
    figures["cluster jobs run once"] += len(jobs)
    figures["cluster SMS delivered once"] += len(per_key)
    figures["cluster seconds: audit verify --all"] += round(time.monotonic() - began - driven)
