"""A failure of the diagram's own code, as the 422 a caller sees."""

from __future__ import annotations

from engine.errors import ProcessError, ReliefError


def process_error(err: BaseException) -> ProcessError:
    """`err` (raised by SpiffWorkflow while running the diagram) as a 422 naming the BPMN
    element. When one of our checks failed inside SpiffWorkflow's wrapper (a bound, a
    forbidden call), its message and details (e.g. `limit`) are what the caller sees."""
    task = getattr(err, "task", None)
    element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, ReliefError):
        cause = cause.__cause__ or cause.__context__
    where = f"the process failed at {element or 'an element'}"
    if cause is None:
        return ProcessError(f"{where}: {err}", {"element": element})
    return ProcessError(f"{where}: {cause.message}", {"element": element, "error": cause.code, **cause.details})


def refused_by_a_check(err: BaseException) -> bool:
    """Whether one of our checks (a bound, a forbidden call) failed inside `err`, rather than
    the designer's code itself (e.g. a name the case does not hold yet)."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ReliefError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
