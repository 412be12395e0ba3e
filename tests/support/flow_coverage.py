"""Sequence-flow coverage per diagram: the suite fails when a flow is never taken.

A flow source → target counts as taken when, in some test's audit history, the target
element became READY, STARTED or COMPLETED right after the source element."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
REACHED = {"READY", "STARTED", "COMPLETED"}
_taken: set[tuple[str, str, str]] = set()


def record(changes: list[dict[str, Any]]) -> None:
    for c in changes:
        if c.get("to") in REACHED and c.get("prev"):
            _taken.add((c["process"], c["prev"], c["element"]))


def diagram_flows(root: Path) -> dict[str, list[tuple[str, str, str]]]:
    """process id → [(flow id, source, target)] for every BPMN file under `root`."""
    flows: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for path in sorted(root.rglob("*.bpmn")):
        doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        for process in doc.xpath("//bpmn:process", namespaces=NS):
            for f in process.xpath(".//bpmn:sequenceFlow", namespaces=NS):
                flows[process.get("id")].append((f.get("id"), f.get("sourceRef"), f.get("targetRef")))
    return flows


def missing(root: Path) -> dict[str, tuple[int, list[str]]]:
    """process id → (number of flows, ids of flows never taken)."""
    out = {}
    for process, flows in diagram_flows(root).items():
        gone = [fid for fid, src, tgt in flows if (process, src, tgt) not in _taken]
        out[process] = (len(flows), gone)
    return out


class _Plugin:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.scenario_items = 0
        self.scenario_failed = 0

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.scenario_items = sum(1 for i in items if "scenarios" in i.path.parts)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and "scenarios/" in report.nodeid.replace("\\", "/"):
            self.scenario_failed += 1

    def _complete_run(self, config: pytest.Config) -> bool:
        tests_dir = Path(__file__).resolve().parent.parent
        whole = all(Path(str(config.rootpath / a.split("::")[0])).resolve() in (tests_dir, tests_dir.parent)
                    for a in config.args)
        selected = whole and not config.getoption("keyword") and not config.getoption("markexpr")
        # Enforced when every scenario ran and passed; skips (e.g. no PostgreSQL) are fine.
        return selected and self.scenario_items > 0 and self.scenario_failed == 0

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self.scenario_items == 0:
            return
        report = missing(self.root)
        terminalreporter.section("sequence-flow coverage")
        for process, (total, gone) in sorted(report.items()):
            line = f"{process}: {total - len(gone)}/{total} flows taken"
            terminalreporter.write_line(line + (f"; never taken: {', '.join(gone)}" if gone else ""))
        if not self._complete_run(config):
            terminalreporter.write_line("(partial run: coverage is reported, not enforced)")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self._complete_run(session.config) and any(gone for _, gone in missing(self.root).values()):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def configure(config: pytest.Config, root: Path) -> None:
    config.pluginmanager.register(_Plugin(root), "relief-flow-coverage")
