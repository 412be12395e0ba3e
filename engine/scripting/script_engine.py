"""The SpiffWorkflow script engine that runs everything through `restricted`.

The command time is a context variable so that one shared engine serves many
threads, and so that a replay evaluates `now()` exactly as the original command did.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import calendar
from engine.scripting import restricted

_command_time: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("command_time", default=None)


@contextmanager
def command_time(moment: dt.datetime) -> Iterator[None]:
    """Make `now()` in expressions answer `moment` while the block runs."""
    token = _command_time.set(moment)
    try:
        yield
    finally:
        _command_time.reset(token)


def current_time() -> dt.datetime:
    """The time of the command being run (UTC), or the wall clock outside one."""
    return _command_time.get() or dt.datetime.now(dt.UTC)


def _now() -> str:
    return current_time().astimezone(calendar.SHANGHAI).isoformat()


def _today() -> str:
    return current_time().astimezone(calendar.SHANGHAI).date().isoformat()


HOST_FUNCTIONS: dict[str, Any] = {
    "now": _now,
    "today": _today,
    "add_working_days": calendar.add_working_days,
    "add_calendar_days": calendar.add_calendar_days,
    "end_of_working_day": calendar.end_of_working_day,
}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes designer code with `restricted`; no service calls."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        functions = {**HOST_FUNCTIONS, **(external_context or {})}
        return restricted.evaluate(expression, context, functions)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        functions = {**HOST_FUNCTIONS, **(external_context or {})}
        restricted.execute(script, context, functions)
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise RuntimeError("service tasks are run by workers, never inside the engine")


class RestrictedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose only environment is the restricted one."""

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression: str) -> None:
        restricted.check_expression(expression)
