"""SpiffWorkflow's parser with our service tasks and timers, fed only safe XML."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser

from engine.definitions import specs
from engine.definitions.xml_safety import parse_xml, problem
from engine.errors import DefinitionInvalid


class ReliefParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, specs.ExternalServiceTask),
    }


@dataclass
class ParsedProcess:
    """A process spec with every sub-process spec it calls."""

    key: str
    name: str
    file: str
    spec: Any
    subprocess_specs: dict[str, Any]


@dataclass
class ParsedBundle:
    processes: dict[str, ParsedProcess] = field(default_factory=dict)
    roots: dict[str, Any] = field(default_factory=dict)  # file name → lxml root
    parser: ReliefParser | None = None


def _validation_problem(err: ValidationException, default_file: str | None = None) -> dict:
    return problem(
        err.file_name or default_file or "",
        str(err.args[0]) if err.args else str(err),
        element=err.id or None,
        line=err.line_number or None,
    )


def _link_multi_instances(process_spec: Any) -> None:
    """Link every loop and multi-instance activity to its instances' completion now, as
    SpiffWorkflow's own spec deserializer does. Its runtime links them on the parsed spec
    only when it creates an instance: in a restarted process, a workflow restored with all
    its instances created before the restart would never merge them, and the case would
    wait for ever (found by tests/reliability/test_crash.py)."""
    for task_spec in process_spec.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = process_spec.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


def _adopt_specs(process_spec: Any) -> None:
    """Our timers and bounded multi-instance activities in place of SpiffWorkflow's."""
    for task_spec in process_spec.task_specs.values():
        specs.adopt_task(task_spec)
        if isinstance(task_spec, CatchingEvent):
            specs.adopt(task_spec.event_definition)
            for inner in getattr(task_spec.event_definition, "event_definitions", []) or []:
                specs.adopt(inner)


def _catch_event_message_variables(roots: dict[str, Any]) -> dict[str, str]:
    """element id → messageVariable written on the catch event itself (our documented
    placement); SpiffWorkflow only reads it inside the messageEventDefinition."""
    found = {}
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
          "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
    for root in roots.values():
        for var in root.xpath("//bpmn:*[bpmn:messageEventDefinition]/bpmn:extensionElements"
                              "/spiffworkflow:messageVariable", namespaces=ns):
            found[var.getparent().getparent().get("id")] = (var.text or "").strip()
    return found


def _adopt_message_variables(process_spec: Any, variables: dict[str, str]) -> None:
    for task_spec in process_spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id in variables and definition is not None and getattr(definition, "message_var", "") is None:
            definition.message_var = variables[bpmn_id]


# One parse at a time in a process: the safe XML parser and SpiffWorkflow's validators are
# shared lxml objects, which lxml does not allow two threads to use at once. Seen in the
# crash suite: threads of a freshly started process each parsing a deployment on its first
# use, one failing with a bogus XMLSyntaxError. Parsing is rare (a deploy, the first use of
# a deployment), so nothing waits long behind this.
_PARSING = threading.Lock()


def parse_bundle(bpmn_files: dict[str, bytes], dmn_files: dict[str, bytes]) -> ParsedBundle:
    """Parse BPMN and DMN files; raise DefinitionInvalid naming file, element and line."""
    with _PARSING:
        return _parse_bundle(bpmn_files, dmn_files)


def _parse_bundle(bpmn_files: dict[str, bytes], dmn_files: dict[str, bytes]) -> ParsedBundle:
    bundle = ParsedBundle(parser=ReliefParser(validator=VALIDATOR))
    problems: list[dict] = []
    for name, content in sorted(dmn_files.items()):
        root = parse_xml(content, name)
        bundle.roots[name] = root
        try:
            bundle.parser.add_dmn_xml(root, filename=name)
        except ValidationException as err:
            problems.append(_validation_problem(err, name))
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow indexes into what a file may lack
            problems.append(problem(name, f"not a decision table this engine can read ({type(err).__name__}: {err})"))
    for name, content in sorted(bpmn_files.items()):
        root = parse_xml(content, name)
        bundle.roots[name] = root
        try:
            bundle.parser.add_bpmn_xml(root.getroottree(), filename=name)
        except ValidationException as err:
            problems.append(_validation_problem(err, name))
        except Exception as err:  # noqa: BLE001 - as above
            problems.append(problem(name, f"not a diagram this engine can read ({type(err).__name__}: {err})"))
    if problems:
        raise DefinitionInvalid(_summary(problems), {"problems": problems})
    message_variables = _catch_event_message_variables(bundle.roots)
    for key in bundle.parser.get_process_ids():
        process_parser = bundle.parser.get_process_parser(key)
        try:
            spec = bundle.parser.get_spec(key)
            subprocess_specs = bundle.parser.get_subprocess_specs(key)
        except ValidationException as err:
            problems.append(_validation_problem(err, process_parser.filename))
            continue
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises plain errors for some specs
            problems.append(problem(process_parser.filename, f"{type(err).__name__}: {err}", element=key))
            continue
        for process_spec in [spec, *subprocess_specs.values()]:
            _adopt_specs(process_spec)
            _adopt_message_variables(process_spec, message_variables)
            _link_multi_instances(process_spec)
        bundle.processes[key] = ParsedProcess(
            key=key,
            name=process_parser.get_name() or key,
            file=process_parser.filename,
            spec=spec,
            subprocess_specs=subprocess_specs,
        )
    if problems:
        raise DefinitionInvalid(_summary(problems), {"problems": problems})
    return bundle


def _summary(problems: list[dict]) -> str:
    first = problems[0]
    where = first["file"] + (f" element {first['element']}" if first.get("element") else "") + (
        f" line {first['line']}" if first.get("line") else "")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['message']}{more}"
