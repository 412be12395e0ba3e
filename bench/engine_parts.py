"""Where the engine's time per Jiangyin case goes, beside the floor's (issue 15: why the
engine in-process stays under half the floor's speed).

    python bench/engine_parts.py [--cases N]

Runs bench/throughput.py's engine (SQLite, warm) and floor under cProfile and prints, per
case, the CPU milliseconds spent in each part of the engine's work that the floor does
not do, or does more cheaply. A part's time includes everything it calls, so the parts
overlap where one calls another (the follow-up cases a case throws are started by full
commands of their own: their state, rows and audit are counted under their own lines too).
cProfile slows Python code more than C code, so the shares, not the milliseconds, are the
figure to read. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import throughput  # noqa: E402
from engine.auth import Principal  # noqa: E402
from engine.crypto import keys  # noqa: E402
from engine.service import Engine  # noqa: E402

# (label, file suffix, function name): what the engine does per command beyond the floor's
# "run the step, dump the state, insert one audit row, commit".
PARTS = [
    ("the cases, driven as bench/throughput.py does", "bench/engine_parts.py", "_cases"),
    ("  every command, start to commit (Executor.run)", "engine/runtime/executor.py", "run"),
    ("  SpiffWorkflow's own steps (do_engine_steps)", "SpiffWorkflow/bpmn/workflow.py", "do_engine_steps"),
    ("  follow-up cases started (J-CHECK, J-PUBLIC, …)", "engine/runtime/follow_ups.py", "start_thrown"),
    ("  state dumped (incremental)", "engine/runtime/incremental.py", "dump_encoded"),
    ("  state row written (sealed, version-checked UPDATE)", "engine/runtime/recording.py", "_write_instance"),
    ("  task, job, timer and work-list rows (projections)", "engine/runtime/projections.py", "sync"),
    ("  what changed, for the audit (inspect.scan)", "engine/runtime/inspect.py", "scan"),
    ("  audit event and its hash chain", "engine/audit/log.py", "append_event"),
    ("  calendar in force, for re-execution", "engine/audit/calendars.py", "record_used"),
    ("  the row locked and read (task or job with its case)", "engine/runtime/context.py", "lock"),
    ("  case records kept (ledger, notices, dispatches)", "engine/records.py", "keep_into"),
    ("  the form checked against its definition", "engine/forms/compiler.py", "validate_submission"),
    ("  commit", "sqlalchemy/orm/session.py", "commit"),
    ("  a runner asking for due jobs (has_due_jobs)", "engine/service.py", "has_due_jobs"),
]
FLOOR_PARTS = [
    ("floor, in all", "bench/throughput.py", "floor"),
    ("  SpiffWorkflow's own steps (do_engine_steps)", "SpiffWorkflow/bpmn/workflow.py", "do_engine_steps"),
    ("  state dumped (incremental, unsealed)", "engine/runtime/incremental.py", "dump_encoded"),
]


def _profiled(run: object) -> pstats.Stats:
    profile = cProfile.Profile()
    profile.enable()
    run()  # type: ignore[operator]
    profile.disable()
    return pstats.Stats(profile)


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    """Seconds spent in (and under) every function `name` of a file ending with `suffix`."""
    return sum(row[3] for (file, _line, func), row in stats.stats.items()  # type: ignore[attr-defined]
               if func == name and file.endswith(suffix))


def _print(title: str, stats: pstats.Stats, parts: list[tuple[str, str, str]], cases: int) -> None:
    whole = _cumulative(stats, *parts[0][1:])
    print(title)
    for label, suffix, name in parts:
        seconds = _cumulative(stats, suffix, name)
        print(f"  {label:<58} {seconds / cases * 1000:7.1f} ms/case {seconds / whole:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault(keys.KEY_ENV, keys.generate_entry("bench"))
    throughput.library_only(3, False)  # parsing and imports, outside the profile
    with tempfile.TemporaryDirectory() as tmp:
        engine, who = throughput.prepared(f"sqlite:///{tmp}/parts.sqlite")  # deployed and warm, not profiled
        engine_stats = _profiled(lambda: _cases(engine, who, args.cases))
        engine.dispose()
        floor_stats = _profiled(lambda: throughput.floor(args.cases, f"{tmp}/floor.sqlite"))
    _print(f"Engine on SQLite, {args.cases} Jiangyin cases under cProfile (per case; share of the cases' time)",
           engine_stats, PARTS, args.cases)
    _print(f"Floor, {args.cases} cases under cProfile", floor_stats, FLOOR_PARTS, args.cases)


def _cases(engine: Engine, who: dict[str, Principal], cases: int) -> None:
    for i in range(cases):
        throughput.drive(engine, who, f"PARTS-{time.time_ns()}-{i}")


if __name__ == "__main__":
    main()
