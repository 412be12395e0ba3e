"""Everything the engine can do, one command per module."""

from engine.runtime.commands.cancel_instance import CancelInstance
from engine.runtime.commands.claim_task import ClaimTask, HandOverTask, UnclaimTask
from engine.runtime.commands.comments import AddComment
from engine.runtime.commands.complete_task import CompleteTask
from engine.runtime.commands.correlate_message import CorrelateMessage
from engine.runtime.commands.fire_next_timer import FireNextDueTimers
from engine.runtime.commands.fire_timer import FireTimer
from engine.runtime.commands.hotline_intake import HotlineIntake
from engine.runtime.commands.jobs import (
    CompleteJob,
    ExtendLock,
    FailJob,
    FetchAndLock,
    QueueJob,
    RetryIncident,
    TakeBackJobs,
    ThrowBpmnError,
)
from engine.runtime.commands.materials import UploadMaterial
from engine.runtime.commands.recompute_deadlines import RecomputeDeadlines
from engine.runtime.commands.records import KeepRecord, MarkNotificationSent, QueueHotlineStatus, ReadForJob
from engine.runtime.commands.start_instance import StartInstance
from engine.runtime.commands.timer_incidents import RecordTimerFailure, RetryTimerIncident

__all__ = [
    "AddComment",
    "CancelInstance",
    "ClaimTask",
    "CompleteJob",
    "CompleteTask",
    "CorrelateMessage",
    "ExtendLock",
    "FailJob",
    "FetchAndLock",
    "FireNextDueTimers",
    "FireTimer",
    "HandOverTask",
    "HotlineIntake",
    "KeepRecord",
    "MarkNotificationSent",
    "QueueHotlineStatus",
    "QueueJob",
    "ReadForJob",
    "RetryIncident",
    "RecomputeDeadlines",
    "RecordTimerFailure",
    "RetryTimerIncident",
    "StartInstance",
    "TakeBackJobs",
    "ThrowBpmnError",
    "UnclaimTask",
    "UploadMaterial",
]
