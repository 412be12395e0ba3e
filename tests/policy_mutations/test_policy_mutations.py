"""The mutation lists still apply to the diagrams, tables and forms as they are, and each
names a requirement id and tests that exist (the runner itself is `run.py`, not timed)."""

from __future__ import annotations

from tests.policy_mutations.run import ROOT, applies, load
from tests.support.requirements import requirement_ids

REQUIREMENT_IDS = set(requirement_ids())  # docs/REQUIREMENTS.md, the team's digest (tests/support/requirements.py)


def _test_exists(node: str) -> bool:
    path, _, name = node.partition("::")
    source = ROOT / path
    return source.exists() and (not name or f"def {name.split('[')[0]}(" in source.read_text("utf-8"))


def test_every_mutation_applies_and_names_a_requirement_and_existing_tests():
    problems = []
    for m in load([]):
        if why := applies(m):
            problems.append(f"{m.source} {m.requirement}: {why}")
        if m.requirement not in REQUIREMENT_IDS:
            problems.append(f"{m.source}: unknown requirement id {m.requirement}")
        problems += [f"{m.source} {m.requirement}: no test {node}" for node in m.tests if not _test_exists(node)]
    assert problems == []
