"""What a handler raises to tell the runner how a job ended, other than with a result."""

from __future__ import annotations

from typing import Any


class BpmnError(Exception):
    """A business outcome the diagram models with an error boundary event (`code`),
    e.g. a department system refusing the case. Not retried."""

    def __init__(self, code: str, message: str = "", variables: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.variables = code, message, variables or {}


class HandlerFailed(Exception):
    """A technical failure worth retrying (the outside system is down or said 5xx);
    `details` tell the operator what happened (HTTP status, response excerpt)."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}
