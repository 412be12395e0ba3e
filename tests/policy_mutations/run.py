"""Break each requirement on purpose and check that the test named after it fails.

`python -m tests.policy_mutations.run [FILE.yaml ...] [--only ID]` reads the mutations in
this folder (one YAML file per variant: a list of entries, see README below), applies each
to a scratch copy of the repository (the files git tracks plus uncommitted changes), runs
the tests the entry names there, on SQLite, and reports whether they caught it. A mutation
no named test catches is a requirement nothing proves: the run exits non-zero.

Each entry:

    - requirement: J-T2            # the id in ../shared/REQUIREMENTS.md
      file: workflows/jiangyin/jiangyin_one_door.bpmn
      find: "transfer_days = 2"    # must occur exactly once in the file
      replace: "transfer_days = 20"
      tests:                       # pytest node ids; at least one must fail
        - tests/scenarios/test_jiangyin.py::test_J_T2_transfer_within_two_working_days

Not part of the timed suite (each entry is a pytest run); `test_policy_mutations.py` checks
that every entry still applies to the files as they are.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@dataclass
class Mutation:
    source: str
    requirement: str
    file: str
    find: str
    replace: str
    tests: list[str]


def load(paths: list[Path]) -> list[Mutation]:
    """The mutations of `paths` (every *.yaml of this folder when empty)."""
    out = []
    for path in paths or sorted(HERE.glob("*.yaml")):
        for i, entry in enumerate(yaml.safe_load(path.read_text("utf-8")) or []):
            missing = {"requirement", "file", "find", "replace", "tests"} - set(entry)
            if missing:
                raise SystemExit(f"{path.name} entry {i + 1}: missing {', '.join(sorted(missing))}")
            out.append(Mutation(path.name, str(entry["requirement"]), entry["file"], entry["find"],
                                entry["replace"], list(entry["tests"])))
    return out


def applies(m: Mutation, root: Path = ROOT) -> str | None:
    """None when the mutation applies to the files under `root`, else why not."""
    target = root / m.file
    if not target.exists():
        return f"{m.file} does not exist"
    count = target.read_text("utf-8").count(m.find)
    return None if count == 1 else f"'{m.find}' occurs {count} times in {m.file}, not once"


def _scratch_copy() -> Path:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.splitlines()
    dest = Path(tempfile.mkdtemp(prefix="relief-mutation-"))
    for name in files:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    vendor = ROOT / "api/static/vendor"
    if vendor.exists():
        shutil.copytree(vendor, dest / "api/static/vendor", dirs_exist_ok=True)
    return dest


def run(m: Mutation) -> tuple[bool, str]:
    """(caught, what pytest said last) for one mutation in a fresh scratch copy."""
    why = applies(m)
    if why:
        return False, why
    scratch = _scratch_copy()
    try:
        target = scratch / m.file
        target.write_text(target.read_text("utf-8").replace(m.find, m.replace), "utf-8")
        env = {k: v for k, v in os.environ.items() if k != "RELIEF_TEST_POSTGRES_URL"}
        # `python -m pytest` puts the scratch copy first on sys.path, ahead of the editable install.
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *m.tests],
                              cwd=scratch, env=env, capture_output=True, text=True)
        tail = (done.stdout.strip().splitlines() or [""])[-1]
        return done.returncode == 1, tail
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--only", help="run only the mutations of this requirement id")
    args = parser.parse_args(argv)
    mutations = [m for m in load(args.files) if not args.only or m.requirement == args.only]
    survived = 0
    for m in mutations:
        caught, said = run(m)
        survived += not caught
        print(f"{'caught  ' if caught else 'SURVIVED'} {m.requirement:<14} {m.source}: {m.file}  ({said})", flush=True)
    print(f"{len(mutations) - survived} of {len(mutations)} mutations caught by the tests named after them")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
