"""Deploying diagrams: lint errors name file, element and line; nothing is stored on error
(X-BPMN, X-DESIGN, DESIGN rules 4, 6 and 9)."""

import pytest
import sqlalchemy as sa

from engine.definitions.bundle import BundleFile
from engine.errors import DefinitionInvalid
from engine.store.models import Definition, Deployment
from tests.engine.helpers import mini_bundle, mini_xml, unique_key


def _counts(engine):
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count(Deployment.id))), s.scalar(sa.select(sa.func.count(Definition.id)))


def _problem(err, element=None):
    problems = err.value.details["problems"]
    if element is None:
        return problems[0]
    return next(p for p in problems if p["element"] == element)


def test_X_DESIGN_identical_content_returns_the_same_version_and_changes_make_a_new_one(engine):
    key = unique_key()
    first = engine.deploy(mini_bundle(mini_xml(key)), "designer")
    again = engine.deploy(mini_bundle(mini_xml(key)), "designer")
    assert [(d.key, d.version) for d in first.definitions] == [(key, 1)]
    assert again.created is False
    assert [(d.key, d.version) for d in again.definitions] == [(key, 1)]
    changed = engine.deploy(mini_bundle(mini_xml(key).replace("最小案例", "最小案例（修订）")), "designer")
    assert [(d.key, d.version) for d in changed.definitions] == [(key, 2)]


def test_X_DESIGN_instances_stay_on_the_version_they_started_with(engine):
    key = unique_key()
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    old = engine.start(key, {}, "K-1", "clerk")
    engine.deploy(mini_bundle(mini_xml(key).replace('name="审核"', 'name="复核"')), "designer")
    engine.approve_definition(key, 2, "another-designer")  # the process has cases (test_approval.py)
    new = engine.start(key, {}, "K-2", "clerk")
    assert engine.instance(old.id).definition.version == 1
    assert engine.instance(new.id).definition.version == 2
    assert engine.start(f"{key}:1", {}, "K-3", "clerk").definition.version == 1


def test_malformed_bpmn_is_refused_with_file_and_line(engine):
    before = _counts(engine)
    broken = mini_xml().replace("</bpmn:process>", "</bpmn:proces>")
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(mini_bundle(broken), "designer")
    p = _problem(err)
    assert p["file"] == "mini.bpmn" and p["line"] and "well-formed" in p["message"]
    assert _counts(engine) == before


def test_J_SEC_xxe_is_refused_and_never_resolved(engine, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = mini_xml().replace('<?xml version="1.0" encoding="UTF-8"?>',
                             f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>')
    xxe = xxe.replace('name="最小案例"', 'name="&x;"')
    before = _counts(engine)
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(mini_bundle(xxe), "designer")
    assert "DOCTYPE" in err.value.message
    assert "TOP-SECRET" not in str(err.value.details)
    assert _counts(engine) == before


@pytest.mark.parametrize("condition, needle", [
    ("__import__('os').system('id') == 0", "__import__"),
    ("approved.__class__.__mro__", "__class__"),
    ("open('/etc/passwd')", "open()"),
])
def test_gateway_condition_escape_is_refused_naming_the_flow(engine, condition, needle):
    before = _counts(engine)
    xml = mini_xml().replace("approved == 'yes'", condition)
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(mini_bundle(xml), "designer")
    p = _problem(err, "Flow_Yes")
    assert p["file"] == "mini.bpmn" and p["line"] and needle in p["message"]
    assert _counts(engine) == before


def test_timer_expression_is_checked(engine):
    xml = mini_xml().replace("add_working_days(now(), 2)", "add_working_days(now(), 2).__class__")
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(mini_bundle(xml), "designer")
    assert "timer expression" in _problem(err, "Timer_Review")["message"]


def test_unknown_form_is_refused_naming_the_task(engine):
    xml = mini_xml().replace("mini/review.json", "mini/nope.json")
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy([BundleFile("mini.bpmn", "bpmn", xml.encode())], "designer")
    p = _problem(err, "Task_Review")
    assert "mini/nope.json" in p["message"]


def test_invalid_form_is_refused_naming_the_form(engine):
    files = [BundleFile("mini.bpmn", "bpmn", mini_xml().encode()),
             BundleFile("mini/review.json", "form", b'{"components": [{"type": "textfield"}]}')]
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(files, "designer")
    assert any("mini/review.json" in (p.get("file") or "") + p["message"] for p in err.value.details["problems"])


def test_exclusive_gateway_flow_without_condition_or_default_is_refused(engine):
    xml = mini_xml().replace(' default="Flow_No"', "")
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(mini_bundle(xml), "designer")
    assert "condition" in _problem(err, "Flow_No")["message"]


def test_service_task_without_topic_and_unknown_topic_are_refused(engine):
    xml = mini_xml().replace('id="applicant.notify"', 'id="no.such.topic"')
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(mini_bundle(xml), "designer")
    assert "no.such.topic" in _problem(err, "Service_Notify")["message"]


def test_diagram_without_di_is_refused(engine):
    xml = mini_xml()
    xml = xml[:xml.index("<bpmndi:BPMNDiagram")] + "</bpmn:definitions>\n"
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(mini_bundle(xml), "designer")
    assert "DI" in err.value.message


def test_element_missing_from_di_is_named(engine):
    xml = mini_xml().replace('<bpmndi:BPMNShape id="Task_Supervise_di" bpmnElement="Task_Supervise">',
                             '<bpmndi:BPMNShape id="Task_Supervise_di" bpmnElement="Elsewhere">')
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(mini_bundle(xml), "designer")
    assert "no shape" in _problem(err, "Task_Supervise")["message"]


def test_X_DESIGN_shared_subprocess_keeps_one_version_when_deployed_with_each_variant(tmp_path):
    """common_department_handling is deployed with every variant; its version hash covers only
    its own files, so the three deployments share version 1, and redeploying changes nothing."""
    from pathlib import Path

    from api.cli import deploy_all
    from engine.service import Engine
    from workers.registry import topics

    root = Path(__file__).resolve().parents[2]
    engine = Engine(f"sqlite:///{tmp_path}/d.sqlite", forms_root=root / "forms", known_topics=topics())
    engine.upgrade_schema()
    first = deploy_all(engine, root / "workflows", "designer")
    assert first == ["common_department_handling:1", "complaint_handling:1", "consultation:1",
                     "efficiency_outcome:1", "emergency_report:1", "household_review:1", "jiangyin_one_door:1",
                     "monitoring_alert:1",
                     "public_posting:1",
                     "tengzhou_one_door:1", "wuhai_one_door:1"]
    assert deploy_all(engine, root / "workflows", "designer") == first
    engine.dispose()


def test_X_DESIGN_a_multi_instance_collection_the_modeler_would_drop_is_named(tmp_path):
    """bpmn.io resolves loopDataInputRef/OutputRef as element ids and drops an unresolved one
    when a designer saves; deploying such a diagram is refused, naming the activity."""
    import re
    from pathlib import Path

    from engine.definitions.bundle import read_paths
    from engine.service import Engine
    from workers.registry import topics

    root = Path(__file__).resolve().parents[2]
    engine = Engine(f"sqlite:///{tmp_path}/d.sqlite", forms_root=root / "forms", known_topics=topics())
    engine.upgrade_schema()
    files = read_paths([root / "workflows/jiangyin", root / "workflows/common"])
    undeclared = [BundleFile(f.name, f.kind, re.sub(rb'\s*<bpmn:property id="aid_types" name="aid_types" />', b"",
                                                    f.content)) for f in files]
    try:
        with pytest.raises(DefinitionInvalid) as err:
            engine.deploy(undeclared, "designer")
        problem = _problem(err, "Rule_AidDepartment")
        assert "loopDataInputRef 'aid_types'" in problem["message"] and problem["line"]
        assert engine.definitions() == []  # nothing stored
        assert [d.key for d in engine.deploy(files, "designer").definitions] == [
            "common_department_handling", "jiangyin_one_door"]
    finally:
        engine.dispose()
