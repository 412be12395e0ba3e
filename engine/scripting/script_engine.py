"""The SpiffWorkflow script engine that runs everything through `restricted`.

The command time is a context variable so that one shared engine serves many
threads, and so that a replay evaluates `now()` exactly as the original command did.
"""

from __future__ import annotations

import ast
import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import calendar
from engine.scripting import restricted
from engine.scripting.bounds import current_limits, limit

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


def _days(n: Any, bound: int, name: str) -> None:
    # a count of days in designer code: never a loop over years (or past year 9999)
    if isinstance(n, int | float) and not isinstance(n, bool) and abs(n) > bound:
        raise limit(f"max_{name}", bound, f"{n} is more {name.replace('_', ' ')} than the allowed {bound}")


def _add_working_days(start: Any, n: Any, region: str | None = None) -> str:
    _days(n, current_limits().max_working_days, "working_days")
    return calendar.add_working_days(start, n, region)


def _add_calendar_days(start: Any, n: Any) -> str:
    _days(n, current_limits().max_calendar_days, "calendar_days")
    return calendar.add_calendar_days(start, n)


HOST_FUNCTIONS: dict[str, Any] = {
    "now": _now,
    "today": _today,
    "add_working_days": _add_working_days,
    "add_calendar_days": _add_calendar_days,
    "end_of_working_day": calendar.end_of_working_day,
}


def _value_of(context: dict) -> Any:
    """`value(name, default)`: a case variable an optional form field may have left out (a field
    not filled is absent from the data, and naming it directly would fail), e.g.
    `value('priority_group', 'none')` (J-GREEN)."""
    def value(name: str, default: Any = None) -> Any:
        return context.get(name, default) if isinstance(name, str) and not name.startswith("_") else default
    return value


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes designer code with `restricted`; no service calls."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        functions = {**HOST_FUNCTIONS, "value": _value_of(context), **(external_context or {})}
        return restricted.evaluate(expression, context, functions)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        functions = {**HOST_FUNCTIONS, "value": _value_of(context), **(external_context or {})}
        restricted.execute(script, context, functions)
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise RuntimeError("service tasks are run by workers, never inside the engine")


class RestrictedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose only environment is the restricted one."""

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression: str) -> None:
        """SyntaxError for what does not parse (SpiffWorkflow's DMN engine then reads a cell
        such as `> 3` as `input > 3`), ScriptRejected for what is not allowed."""
        ast.parse(expression.strip(), mode="eval")
        restricted.check_expression(expression)
