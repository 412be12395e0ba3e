"""`relief audit verify --all` against the engine that made the cases (X-AUDIT).

    python bench/audit_verify.py [--cases N] [--postgres URL] [--profile FILE]

Makes N Jiangyin cases by running the engine (the happy path of bench/throughput.py:
every command and worker completion committed, with its audit events; bulk-inserted rows
have no commands to replay, so they cannot be used here), timing it: the engine's
execution rate. Then seals the heads and verifies every case as `verify --all` does
(chain, re-execution on a fresh workflow, comparison with the stored state, then every
seal), timing that: the verification rate. Prints both and their ratio (target: ≥ 50 %).
The issue's figure is for 10,000 cases (`--cases 10000`, about an hour on this machine);
the default is smaller. `--profile` writes a cProfile of the verification. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from api.cli import deploy_all  # noqa: E402
from bench.throughput import START, drive  # noqa: E402
from engine.auth import Principal  # noqa: E402
from engine.clock import AdjustableClock  # noqa: E402
from engine.crypto import keys  # noqa: E402
from engine.service import Engine  # noqa: E402
from engine.store.schemas import scratch_schema  # noqa: E402
from workers.registry import topics  # noqa: E402

WHO = {g: Principal(f"bench-{g}", ("clerk",), (g,)) for g in ("window", "county-centre", "dept:civil-affairs")}


def execute(engine: Engine, cases: int) -> float:
    """Run `cases` Jiangyin cases start to end; cases per second."""
    began = time.perf_counter()
    for i in range(cases):
        drive(engine, WHO, f"AUDIT-BENCH-{time.time_ns()}-{i}")
        if (i + 1) % 500 == 0:
            print(f"  … {i + 1} cases made", file=sys.stderr)
    return cases / (time.perf_counter() - began)


def verify_all(engine: Engine) -> tuple[float, int, int]:
    """What `relief audit verify --all` does (re-execute every case, store each verdict,
    check every seal); (cases per second, cases, failures)."""
    began = time.perf_counter()
    checked = failed = 0
    verdicts: list[tuple[str, bool, str]] = []
    for result in engine.replay_cases():
        checked += 1
        failed += not result.ok
        if not result.ok:
            print(result.line(), file=sys.stderr)
        verdicts.append((result.instance_id, result.ok, result.line()))
        if len(verdicts) >= 200:
            engine.record_case_checks(verdicts, "bench")
            verdicts = []
    engine.record_case_checks(verdicts, "bench")
    problems = engine.audit_seal_problems()
    for line in problems:
        print(line, file=sys.stderr)
    failed += len(problems)
    return checked / (time.perf_counter() - began), checked, failed


def measure(url: str, cases: int, profile: str | None) -> None:
    engine = Engine(url, clock=AdjustableClock(START), forms_root=ROOT / "forms", known_topics=topics())
    engine.upgrade_schema()
    deploy_all(engine, ROOT / "workflows", "bench")
    made = execute(engine, cases)
    engine.seal_audit("bench")
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    verified, checked, failed = verify_all(engine)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    engine.dispose()
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{kind}: {cases} Jiangyin cases (happy path, every step committed)")
    print(f"  engine executes       {made:8.1f} cases/s")
    print(f"  audit verify --all    {verified:8.1f} cases/s   ({checked} verified, {failed} failure(s))")
    print(f"  verification / execution: {verified / made:6.1%} (target ≥ 50 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--postgres", help="measure on this PostgreSQL URL (a scratch schema) instead of SQLite")
    parser.add_argument("--profile", help="write a cProfile of the verification to this file")
    args = parser.parse_args()
    os.environ.setdefault(keys.KEY_ENV, keys.generate_entry("bench"))  # scratch data: a key of this run
    if args.postgres:
        with scratch_schema(args.postgres, "relief_audit_bench") as url:  # never touches real data
            measure(url, args.cases, args.profile)
        return
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{tmp}/audit-bench.sqlite", args.cases, args.profile)


if __name__ == "__main__":
    main()
