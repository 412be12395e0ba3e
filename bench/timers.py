"""Timer punctuality and drain time.

    python bench/timers.py [--single N] [--drain N] [--postgres URL]

1. Lateness of single timers: N cases each wait on a timer 2-8 s ahead (spread over
   the run) while one scheduler runs in-process with its default settings (watch every
   1 s, date job at the next due time, sweep every 30 s). Lateness is what FireTimer
   audits: command time minus due time. Printed as p50 / p99 / max.
2. Drain: N cases whose timers fall due in the same second; the clock is moved past it
   and the time until no timer is pending is measured — on SQLite with one in-process
   scheduler, and on PostgreSQL with two `relief scheduler` processes.
Targets (issue 3): p99 lateness <= 1 s; 10,000 drained in <= 60 s. Not part of the suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.clock import AdjustableClock, Clock, SharedClock  # noqa: E402
from engine.crypto import keys  # noqa: E402
from engine.definitions.bundle import BundleFile  # noqa: E402
from engine.service import Engine  # noqa: E402
from engine.store.models import AuditEvent, Timer  # noqa: E402
from engine.store.schemas import scratch_schema  # noqa: E402
from engine.timers.scheduler import TimerScheduler  # noqa: E402

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_bench" targetNamespace="bench">
  <bpmn:process id="bench_timer" name="timer bench" isExecutable="true">
    <bpmn:startEvent id="Start_Bench"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="Wait_Bench" name="wait">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:timerEventDefinition>
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">due</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="End_Bench"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Start_Bench" targetRef="Wait_Bench" />
    <bpmn:sequenceFlow id="F2" sourceRef="Wait_Bench" targetRef="End_Bench" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_bench">
    <bpmndi:BPMNPlane id="Plane_bench" bpmnElement="bench_timer">
      <bpmndi:BPMNShape id="Start_di" bpmnElement="Start_Bench"><dc:Bounds x="100" y="100" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Wait_di" bpmnElement="Wait_Bench"><dc:Bounds x="200" y="100" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="End_di" bpmnElement="End_Bench"><dc:Bounds x="300" y="100" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="F1_di" bpmnElement="F1"><di:waypoint x="136" y="118" /><di:waypoint x="200" y="118" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="F2_di" bpmnElement="F2"><di:waypoint x="236" y="118" /><di:waypoint x="300" y="118" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _engine(url: str, clock: Clock) -> Engine:
    engine = Engine(url, clock=clock)
    engine.upgrade_schema()
    engine.deploy([BundleFile("bench_timer.bpmn", "bpmn", BPMN.encode())], "bench")
    return engine


def _pending(engine: Engine) -> int:
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Timer).where(Timer.state == "pending"))


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def single(url: str, label: str, n: int) -> None:
    engine = _engine(url, Clock())
    scheduler = TimerScheduler(engine)
    scheduler.start()
    try:
        begin = time.monotonic()
        for i in range(n):
            # Start one case every ~0.1 s, its timer 2-8 s ahead at a sub-second offset.
            due = engine.clock.now() + dt.timedelta(seconds=2 + (i * 0.737) % 6)
            engine.start("bench_timer", {"due": due.isoformat()}, f"S-{i}", "bench")
            time.sleep(max(0.0, begin + 0.1 * (i + 1) - time.monotonic()))
        while _pending(engine):
            time.sleep(0.2)
    finally:
        scheduler.stop()
    with engine.db.session() as s:
        late = [e.input["late_seconds"] for e in s.scalars(sa.select(AuditEvent).where(
            AuditEvent.command == "fire_timer"))]
    engine.dispose()
    print(f"{label:<28} single timers: n={len(late)}  lateness p50 {statistics.median(late) * 1000:7.1f} ms"
          f"  p99 {_percentile(late, 99) * 1000:7.1f} ms  max {max(late) * 1000:7.1f} ms", flush=True)


def _start_many(engine: Engine, n: int, due: dt.datetime) -> float:
    begin = time.perf_counter()
    for i in range(n):
        engine.start("bench_timer", {"due": due.isoformat()}, f"D-{i}", "bench")
    return time.perf_counter() - begin


def drain_sqlite(url: str, n: int) -> None:
    engine = _engine(url, AdjustableClock())
    due = (engine.clock.now() + dt.timedelta(days=1)).replace(microsecond=0)
    made = _start_many(engine, n, due)
    scheduler = TimerScheduler(engine)
    engine.clock.reset_to(due + dt.timedelta(seconds=1))
    begin = time.perf_counter()
    scheduler.start()
    while _pending(engine):
        time.sleep(0.05)
    took = time.perf_counter() - begin
    scheduler.stop()
    engine.dispose()
    print(f"{'SQLite, 1 scheduler':<28} drain: {n} timers due in the same second fired in {took:6.1f} s "
          f"({n / took:6.0f}/s; cases made in {made:.0f} s)", flush=True)


def drain_postgres(url: str, n: int, processes: int) -> None:
    procs: list[subprocess.Popen] = []
    try:
        engine = _engine(url, SharedClock())
        due = (engine.clock.now() + dt.timedelta(days=1)).replace(microsecond=0)
        made = _start_many(engine, n, due)
        var = Path(tempfile.mkdtemp())
        env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_MODE": "test", "RELIEF_VAR_DIR": str(var),
               "RELIEF_SECRET_KEY": "bench-secret-key"}
        logs = [var / f"scheduler-{i}.log" for i in range(processes)]
        procs = [subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=log.open("w")) for log in logs]
        while not all("started" in log.read_text() for log in logs):
            time.sleep(0.1)
        engine.clock.advance(due - engine.clock.now() + dt.timedelta(seconds=1))
        begin = time.perf_counter()
        while _pending(engine):
            time.sleep(0.05)
        took = time.perf_counter() - begin
        with engine.db.session() as s:
            per_actor = dict(s.execute(sa.select(AuditEvent.actor, sa.func.count()).where(
                AuditEvent.command == "fire_timer").group_by(AuditEvent.actor)).all())
            fired = sum(per_actor.values())
        engine.dispose()
        print(f"{f'PostgreSQL, {processes} schedulers':<28} drain: {n} timers due in the same second fired in "
              f"{took:6.1f} s ({n / took:6.0f}/s; cases made in {made:.0f} s); fire events {fired}, "
              f"per process {sorted(per_actor.values())}", flush=True)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", type=int, default=100, help="single timers for the lateness figures")
    parser.add_argument("--drain", type=int, default=10_000, help="timers due in the same second")
    parser.add_argument("--processes", type=int, default=2, help="scheduler processes on PostgreSQL")
    parser.add_argument("--postgres", default=os.environ.get("RELIEF_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL (default: RELIEF_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    # Scratch databases: a data key of this run (engine.crypto), inherited by the processes it starts.
    os.environ.setdefault(keys.KEY_ENV, keys.generate_entry("bench"))
    with tempfile.TemporaryDirectory() as tmp:
        if args.single:
            single(f"sqlite:///{tmp}/single.sqlite", "SQLite", args.single)
        if args.drain:
            drain_sqlite(f"sqlite:///{tmp}/drain.sqlite", args.drain)
    if args.postgres:
        if args.single:
            with scratch_schema(args.postgres, "relief_bench") as url:
                single(url, "PostgreSQL", args.single)
        if args.drain:
            with scratch_schema(args.postgres, "relief_bench") as url:
                drain_postgres(url, args.drain, args.processes)
    else:
        print("PostgreSQL skipped: pass --postgres URL or set RELIEF_TEST_POSTGRES_URL")


if __name__ == "__main__":
    main()
