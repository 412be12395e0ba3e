"""The in-memory cache of recent workflows: a command that finds its instance here at the
version it read skips decoding the stored state and re-reading its projections."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow


@dataclass
class CachedInstance:
    """A live workflow with what the next command needs to skip database reads."""

    version: int
    workflow: BpmnWorkflow
    states: dict[UUID, int]  # task states, for the audit's "changes"
    waits: dict[str, Any]  # summary of the projection rows
    head: tuple[int, str]  # audit chain head (seq, hash)


class WorkflowCache:
    """Recently used instances keyed by id and row version.

    A command takes the entry out (so a failed command can never leave a half-changed
    object behind) and the executor puts it back only after the commit."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, CachedInstance] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def holds(self, instance_id: str, version: int) -> bool:
        with self._lock:
            item = self._items.get(instance_id)
        return item is not None and item.version == version

    def take(self, instance_id: str, version: int) -> CachedInstance | None:
        with self._lock:
            item = self._items.pop(instance_id, None)
        return item if item is not None and item.version == version else None

    def put(self, instance_id: str, item: CachedInstance) -> None:
        with self._lock:
            self._items[instance_id] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)
