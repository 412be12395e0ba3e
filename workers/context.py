"""What a handler gets: the job, and the case records it keeps idempotently (no database
session: a worker process on another machine has only its worker token)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from engine.records import CompletionRecord


@dataclass(frozen=True)
class JobView:
    """A locked job as a handler sees it."""

    id: str
    topic: str
    instance_id: str
    params: dict[str, Any]
    case: dict[str, Any]
    idempotency_key: str
    business_key: str | None = None
    attempts: int = 1  # this delivery is the n-th


class Records(Protocol):
    """The case records a handler keeps, for the job it holds (its case, business key and
    idempotency key come from the job). Over the engine in-process (`relief serve`), over
    HTTP with the worker token in a worker process (workers/records.py)."""

    def keep(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """The job's record of `kind` (`notification`, `ledger`, `dispatch`), created unless
        an earlier delivery of the job made it (at-least-once delivery), as JSON values."""
        ...

    def notification_sent(self) -> None:
        """The SMS gateway accepted the job's notice."""
        ...

    def push_to_hotline(self, status: str, message: str) -> bool:
        """Queue the notice as a status update for the 12345 platform if the case came from
        there (once per job); False when it did not or it was queued before."""
        ...

    def household(self, id_number: str) -> tuple[str, list[dict[str, Any]]] | None:
        """T-ID: (household id, members) from the local registry, None when unknown."""
        ...

    def grants(self, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]:
        """T-DEDUP: aid already granted (`since`/`until` as dates)."""
        ...


@dataclass
class HandlerContext:
    """What a handler gets besides its job: its records and the time it runs at."""

    records: Records
    now: dt.datetime


@dataclass(frozen=True)
class Completion:
    """A handler's result with the record its job's completion keeps (in the same transaction,
    one commit for both): for a handler that needs nothing outside to see the record first.
    A handler that must hand the record to an outside system (its id to a department's
    system, a text to the SMS gateway) keeps it first (`Records.keep`) and returns a dict."""

    result: dict[str, Any]
    record: CompletionRecord


def keep_on_completion(result: dict[str, Any], kind: str, fields: dict[str, Any], **into: str) -> Completion:
    """`result` plus the job's record of `kind` to keep with the completion; `into` maps result
    keys to the record's columns (`entry_id="id"`): the engine fills them in as written."""
    return Completion(result, CompletionRecord(kind, fields, into))


Handler = Callable[[JobView, HandlerContext], "dict[str, Any] | Completion"]
