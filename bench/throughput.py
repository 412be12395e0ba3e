"""Jiangyin cases start to end: the persisted engine against SpiffWorkflow alone.

    python bench/throughput.py [--cases N] [--postgres URL]

Three runs of the same diagram and the same path (window → centre → one department →
summary), in one process:
  1. SpiffWorkflow in memory (same parsed spec, same restricted script engine);
  2. SpiffWorkflow with a JSON round-trip of the whole workflow after every step, as a
     host that keeps the library's default serialisation would do;
  3. our engine: every command and every worker completion committed to the database,
     with projections and the audit chain.
It prints cases per second, the ratios, and for the persisted runs the SQL statements and
transactions per case (a `before_cursor_execute` counter). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter  # noqa: E402
from SpiffWorkflow.task import TaskState  # noqa: E402

from api.cli import deploy_all  # noqa: E402
from engine.auth import Principal  # noqa: E402
from engine.clock import AdjustableClock  # noqa: E402
from engine.definitions.bundle import read_paths  # noqa: E402
from engine.definitions.parser import parse_bundle  # noqa: E402
from engine.definitions.specs import ExternalServiceTask  # noqa: E402
from engine.runtime import state  # noqa: E402
from engine.scripting import command_time  # noqa: E402
from engine.service import Engine  # noqa: E402
from engine.store.models import HumanTask  # noqa: E402
from engine.store.schemas import scratch_schema  # noqa: E402
from workers.registry import topics  # noqa: E402
from workers.runner import run_pending  # noqa: E402

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
APPLICATION = {
    "channel": "window", "applicant_name": "张秀英", "applicant_id_number": "11010519491231002X",
    "applicant_phone": "13912345678", "applicant_address": "江阴市澄江街道人民路8号",
    "aid_types": ["dibao"], "reason": "丈夫去世，本人患病无收入",
}
# What each person enters on the happy path, by task.
STEPS: dict[str, dict[str, Any]] = {
    "Task_CheckMaterials": {"materials_complete": "yes"},
    "Task_Accept": {"eligible": "yes", "urgent": "no"},
    "Task_Dispatch": {"dispatch_route": "dispatch", "departments": ["civil-affairs"]},
    "Task_DeptIntake": {"materials_notice": "请携带户口簿、身份证到民政局", "handling_days": 20,
                        "local_verification": "none"},
    "Task_DeptDecision": {"department_approved": "yes", "department_decision": "同意救助", "department_amount": 800},
    "Task_Summary": {"summary": "享受最低生活保障每月800元", "refer": "no"},
}
# Results a worker would give, for the library-only baselines.
WORKER_RESULTS: dict[str, dict[str, Any]] = {
    "department.dispatch": {"dispatch_id": 1, "department": "civil-affairs", "mode": "worklist"},
    "applicant.notify": {"notification_id": 1, "channel": "sms"},
    "ledger.record": {"entry_id": 1, "stage": "x", "recorded_on": "2026-11-02"},
    "referral.dispatch": {"referral_id": 1, "organisation": "x"},
}


def _spec() -> Any:
    files = read_paths([ROOT / "workflows/jiangyin", ROOT / "workflows/common"])
    bundle = parse_bundle({f.name: f.content for f in files if f.kind == "bpmn"},
                          {f.name: f.content for f in files if f.kind == "dmn"})
    return bundle.processes["jiangyin_one_door"]


def _advance(workflow: Any) -> bool:
    """One step of the happy path in memory; False when nothing was left to do."""
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.STARTED):
        if task.state == TaskState.STARTED and isinstance(task.task_spec, ExternalServiceTask):
            task.data[task.task_spec.result_variable] = dict(WORKER_RESULTS[task.task_spec.operation_name])
            task.complete()
        elif task.state == TaskState.READY and task.task_spec.manual:
            task.data.update(STEPS[task.task_spec.bpmn_id])
            task.run()
        else:
            continue
        workflow.do_engine_steps()
        return True
    return False


def library_only(cases: int, round_trip: bool) -> float:
    process = _spec()
    serializer = None
    if round_trip:
        config = dict(SPIFF_CONFIG)
        config[ExternalServiceTask] = ServiceTaskConverter
        registry = BpmnWorkflowSerializer.configure(config)
        for cls in (state.CommandTimeDate, state.CommandDuration):
            state.TimerConditionalEventDefinitionConverter(cls, registry)
        serializer = BpmnWorkflowSerializer(registry)
    began = time.perf_counter()
    with command_time(START.astimezone(dt.UTC)):
        for _ in range(cases):
            workflow = state.new_workflow(process.spec, process.subprocess_specs)
            workflow.task_tree.data.update(APPLICATION)
            workflow.do_engine_steps()
            while _advance(workflow):
                if serializer is not None:
                    workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
                    workflow.script_engine = state.SCRIPT_ENGINE
            assert workflow.is_completed(), "the happy path did not reach the end"
    return cases / (time.perf_counter() - began)


class StatementCounter:
    """Counts the statements (BEGIN included) and commits an SQLAlchemy engine sends."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements = self.commits = 0
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "commit", self._commit)

    def _statement(self, *_args: Any) -> None:
        self.statements += 1

    def _commit(self, *_args: Any) -> None:
        self.commits += 1


def persisted(cases: int, url: str) -> tuple[float, StatementCounter]:
    engine = Engine(url, clock=AdjustableClock(START), forms_root=ROOT / "forms", known_topics=topics())
    engine.upgrade_schema()
    deploy_all(engine, ROOT / "workflows", "bench")
    who = {g: Principal(f"bench-{g}", ("clerk",), (g,)) for g in
           ("window", "county-centre", "dept:civil-affairs")}
    # Counted on every engine the Engine owns (the writer and, on SQLite, the reader).
    counter = StatementCounter(sa.Engine)

    began = time.perf_counter()
    for i in range(cases):
        instance = engine.start("jiangyin_one_door", APPLICATION, f"BENCH-{time.time_ns()}-{i}", "bench")
        run_pending(engine)
        while True:
            with engine.db.reading() as s:  # a task list is a read, as the API serves it
                task = s.scalars(sa.select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                            HumanTask.state == "open")).first()
            if task is None:
                break
            engine.complete(task.id, STEPS[task.bpmn_id], who[task.candidate_groups[0]])
            run_pending(engine)
        assert engine.instance(instance.id).status == "completed"
    rate = cases / (time.perf_counter() - began)
    sa.event.remove(sa.Engine, "before_cursor_execute", counter._statement)
    sa.event.remove(sa.Engine, "commit", counter._commit)
    engine.dispose()
    return rate, counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL URL")
    args = parser.parse_args()
    library_only(3, False)  # warm up parsing and imports
    memory = library_only(args.cases, round_trip=False)
    json_rt = library_only(args.cases, round_trip=True)
    rows: list[tuple[str, float, StatementCounter | None]] = [
        ("SpiffWorkflow in memory", memory, None), ("SpiffWorkflow + JSON round-trip per step", json_rt, None)]
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("engine, SQLite, every step committed",
                     *persisted(args.cases, f"sqlite:///{tmp}/bench.sqlite")))
    if args.postgres:
        with scratch_schema(args.postgres, "relief_bench") as url:  # never touches real data
            rows.append(("engine, PostgreSQL, every step committed", *persisted(args.cases, url)))
    print(f"Jiangyin happy path, {args.cases} cases each (6 user tasks, service tasks by workers)")
    for name, rate, counter in rows:
        sql = (f"   {counter.statements / args.cases:5.1f} statements, {counter.commits / args.cases:4.1f} commits"
               " per case" if counter is not None else "")
        print(f"  {name:<44} {rate:8.1f} cases/s   {rate / memory:6.1%} of in-memory{sql}")


if __name__ == "__main__":
    main()
