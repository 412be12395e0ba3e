"""Everything the engine can do, one command per module."""

from engine.runtime.commands.cancel_instance import CancelInstance
from engine.runtime.commands.claim_task import ClaimTask, UnclaimTask
from engine.runtime.commands.complete_task import CompleteTask
from engine.runtime.commands.correlate_message import CorrelateMessage
from engine.runtime.commands.fire_timer import FireTimer
from engine.runtime.commands.jobs import CompleteJob, FailJob, FetchAndLock
from engine.runtime.commands.start_instance import StartInstance

__all__ = [
    "CancelInstance",
    "ClaimTask",
    "CompleteJob",
    "CompleteTask",
    "CorrelateMessage",
    "FailJob",
    "FetchAndLock",
    "FireTimer",
    "StartInstance",
    "UnclaimTask",
]
