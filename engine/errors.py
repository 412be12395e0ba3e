"""Error types of the engine: each has a code, a message and the thing at fault.

The API turns them into JSON `{error, message, details}` with the HTTP status below;
the CLI prints the message and exits non-zero.
"""

from __future__ import annotations

from typing import Any


class ReliefError(Exception):
    """Base of every error the engine reports to a caller."""

    code = "error"
    status = 400

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the API answers with."""
        return {"error": self.code, "message": self.message, "details": self.details}


class ValidationFailed(ReliefError):
    """Input does not satisfy a form or schema; `details` maps field → list of messages."""

    code = "validation_failed"
    status = 422


class DefinitionInvalid(ReliefError):
    """A BPMN, DMN or form file cannot be deployed; `details['problems']` lists each
    problem with its `file`, `element` (id) and `line`."""

    code = "definition_invalid"
    status = 422


class ScriptRejected(ReliefError):
    """An expression or script uses something the restricted environment forbids."""

    code = "script_rejected"
    status = 422


class EvaluationLimit(ScriptRejected):
    """Designer code hit a bound (steps, time, sizes, depth, memory, instances, days);
    `details['limit']` names the bound and `details['bound']` its value."""

    code = "evaluation_limit"
    status = 422


class ProcessError(ReliefError):
    """The diagram failed while running (e.g. a condition referring to missing data, or
    designer code that hit a bound); `details['element']` names the BPMN element."""

    code = "process_error"
    status = 422


class NotFound(ReliefError):
    code = "not_found"
    status = 404


class Conflict(ReliefError):
    """The command lost a race (stale version) or the state does not allow it."""

    code = "conflict"
    status = 409


class Forbidden(ReliefError):
    code = "forbidden"
    status = 403


class Unauthorized(ReliefError):
    code = "unauthorized"
    status = 401


class TooManyAttempts(ReliefError):
    """Too many failed sign-ins: locked out until `details['retry_at']`
    (`retry_after_seconds` from now)."""

    code = "too_many_attempts"
    status = 429
