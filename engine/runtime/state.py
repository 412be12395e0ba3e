"""Instance state as JSON *without* the spec: specs are stored once per version.

SpiffWorkflow's serializer embeds the whole spec in every instance (more than half of
its size) and re-creates spec objects on every load; we store only task state and
attach the cached, parsed spec when restoring.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.definitions.specs import CommandDuration, CommandTimeDate
from engine.scripting import RestrictedScriptEngine

SCRIPT_ENGINE = RestrictedScriptEngine()


class _StateOnlyConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore(self, dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_REGISTRY = BpmnWorkflowSerializer.configure(dict(SPIFF_CONFIG))
# Registering ours after the defaults makes it the converter for BpmnWorkflow.
_CONVERTER = _StateOnlyConverter(BpmnWorkflow, _REGISTRY)
# Fired timers of an event-based gateway are kept in task data as events.
for _timer_class in (CommandTimeDate, CommandDuration):
    TimerConditionalEventDefinitionConverter(_timer_class, _REGISTRY)
_SERIALIZER = BpmnWorkflowSerializer(_REGISTRY)
# For `incremental`, which assembles the same document as `dump` piece by piece.
REGISTRY = _REGISTRY
VERSION_KEY: str = _SERIALIZER.VERSION_KEY
VERSION: str = _SERIALIZER.VERSION


def new_workflow(spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """A fresh workflow on the restricted script engine."""
    return BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)


def dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    """JSON-ready task state of `workflow` (no spec)."""
    _REGISTRY._encoder_mode = False
    dct = _SERIALIZER.to_dict(workflow)
    dct[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
    return dct


def load(state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Restore a workflow from `dump` output and its cached specs.

    Deserialising resets the script engine to SpiffWorkflow's default (plain eval),
    so ours is set again here, every time."""
    workflow = _CONVERTER.restore(dict(state), spec, subprocess_specs)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow
