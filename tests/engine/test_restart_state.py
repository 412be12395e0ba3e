"""What a restarted process finds in the database must carry on exactly as the process
that wrote it would have (DESIGN rule 2). Found by the crash suite (tests/reliability/
test_crash.py): a multi-instance activity whose instances were all created before a
restart never completed after it (the case waited for ever), because SpiffWorkflow links
an instance's completion to its multi-instance activity on the parsed spec, at runtime,
when it creates an instance, and a new process parses its specs afresh."""

from __future__ import annotations

from engine.definitions.repository import SpecCache
from tests.scenarios.test_jiangyin import accepted, dispatch, handle


def _restart(engine) -> None:
    """As after a restart: specs parsed again, no workflow in memory."""
    engine.specs = engine.executor.specs = SpecCache()
    engine.executor.cache = type(engine.executor.cache)()


def test_DESIGN_a_multi_instance_activity_started_before_a_restart_completes_after_it(scenario):
    case = accepted(scenario, "RESTART-MI-1", aid_types=["dibao", "education", "legal"])
    dispatch(case)
    case.complete("Task_LinkagePlan", {"lead_department": "civil-affairs", "linkage_plan": "民政局牵头"})
    assert len(case.open_for("Task_DeptIntake")) == 3  # every department's instance exists
    _restart(scenario.engine)
    for department in ("education", "justice", "civil-affairs"):
        handle(case, department, approved=True, amount=500)
    # the multi-instance activity completed: the lead department gathers the results (J-COOP)
    assert case.open_tasks() == ["Task_LeadLinkage"]
    case.complete("Task_LeadLinkage", {"linkage_summary": "低保、助学金、法律援助衔接办理"})
    assert case.open_tasks() == ["Task_Summary"]


def test_DESIGN_threads_of_a_fresh_process_parse_one_deployment_one_at_a_time(monkeypatch):
    """lxml parser objects must not be used by two threads at once (the crash suite saw a
    bogus XMLSyntaxError when threads of a restarted process parsed a deployment on first
    use together): parses never overlap."""
    import threading
    import time
    from pathlib import Path

    from engine.definitions import parser
    from engine.definitions.bundle import read_paths

    root = Path(__file__).resolve().parents[2] / "workflows"
    files = read_paths([root / "jiangyin", root / "common"])
    inside, most = [0], [0]
    real = parser.parse_xml

    def slow_parse_xml(content, name):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.01)  # let another thread in, if it may
        try:
            return real(content, name)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(parser, "parse_xml", slow_parse_xml)
    threads = [threading.Thread(target=parser.parse_bundle, args=(
        {f.name: f.content for f in files if f.kind == "bpmn"},
        {f.name: f.content for f in files if f.kind == "dmn"})) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1
