"""The restricted environment for conditions, scripts and timer expressions.

SpiffWorkflow's default environment is plain `eval`; it is never used here."""

from engine.scripting.bounds import Limits, command_budget, current_limits
from engine.scripting.restricted import (
    MAX_EXPRESSION_CHARS,
    MAX_SCRIPT_CHARS,
    check_expression,
    check_script,
    evaluate,
    execute,
)
from engine.scripting.script_engine import RestrictedScriptEngine, command_time

__all__ = [
    "MAX_EXPRESSION_CHARS",
    "Limits",
    "MAX_SCRIPT_CHARS",
    "RestrictedScriptEngine",
    "check_expression",
    "check_script",
    "command_budget",
    "command_time",
    "current_limits",
    "evaluate",
    "execute",
]
