"""`make reliability`: the suites that keep issue 9's defects fixed, with their figures.

Each test adds what it tried and what went wrong to `figures` (e.g. crash iterations
survived, races tried, double winners, fuzz cases, 5xx answers); the session ends with one
table of them, so a CI log shows the numbers and not only "passed". The tests themselves
assert the zeros (losses, 5xx, double winners): a figure is a report, never the check.

`RELIEF_RELIABILITY_LONG=1` (`make reliability LONG=1`) runs the long mode: hundreds of
crash iterations and more fuzz cases instead of the tens CI can afford.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

_FIGURES: Counter[str] = Counter()


def long_mode() -> bool:
    """Whether the long mode was asked for (RELIEF_RELIABILITY_LONG=1)."""
    return os.environ.get("RELIEF_RELIABILITY_LONG", "") not in ("", "0")


@pytest.fixture(scope="session")
def figures() -> Counter[str]:
    """Add to it: `figures["races tried (claim, postgresql)"] += 1`."""
    return _FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("reliability figures")
    width = max(len(name) for name in _FIGURES)
    for name in sorted(_FIGURES):
        terminalreporter.write_line(f"{name.ljust(width)}  {_FIGURES[name]:>8}")
