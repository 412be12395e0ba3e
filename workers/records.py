"""The two ways a handler's records reach the database (workers.context.Records):
through the engine in the process of `relief serve`, or through the API with the worker
token in a worker process (`relief worker`), which needs no database credentials.

Both end in the same engine code (engine/records.py) under the same rule: only the
worker holding the job's lock may keep its records, and only those its topic needs."""

from __future__ import annotations

from typing import Any

from engine.errors import NotFound
from engine.service import Engine
from workers.data_sources import grant_from_json, household_from_json
from workers.protocol import HttpSource


class EngineRecords:
    """In-process: the engine's commands, each in its own transaction."""

    def __init__(self, engine: Engine, job_id: str, worker_id: str) -> None:
        self.engine, self.job_id, self.worker_id = engine, job_id, worker_id

    def keep(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        return self.engine.keep_record(self.job_id, self.worker_id, kind, fields)[0]

    def notification_sent(self) -> None:
        self.engine.notification_sent(self.job_id, self.worker_id)

    def push_to_hotline(self, status: str, message: str) -> bool:
        return self.engine.queue_hotline_status(self.job_id, self.worker_id, status, message)[1]

    def household(self, id_number: str) -> tuple[str, list[dict[str, Any]]] | None:
        return self.engine.registry_household(self.job_id, self.worker_id, id_number)

    def grants(self, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]:
        return self.engine.registry_grants(self.job_id, self.worker_id, id_numbers, aid_types)


class HttpRecords:
    """Over HTTP: /api/v1/jobs/{id}/records/… and /data/…, as the worker of `source`."""

    def __init__(self, source: HttpSource, job_id: str) -> None:
        self.source, self.job_id = source, job_id

    def keep(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        return self.source.call("POST", f"/{self.job_id}/records/{kind}", fields)["record"]

    def notification_sent(self) -> None:
        self.source.call("POST", f"/{self.job_id}/records/notification/sent")

    def push_to_hotline(self, status: str, message: str) -> bool:
        return self.source.call("POST", f"/{self.job_id}/records/hotline-status",
                                {"status": status, "message": message})["created"]

    def household(self, id_number: str) -> tuple[str, list[dict[str, Any]]] | None:
        try:
            body = self.source.call("GET", f"/{self.job_id}/data/households", params=[("id_number", id_number)])
        except NotFound as err:
            if "id_number" in err.details:  # nobody in the registry has it (not: no such job)
                return None
            raise
        return household_from_json(body)

    def grants(self, id_numbers: list[str], aid_types: list[str]) -> list[dict[str, Any]]:
        params = [("id_number", i) for i in id_numbers] + [("aid_type", t) for t in aid_types]
        return [grant_from_json(g) for g in self.source.call("GET", f"/{self.job_id}/data/grants", params=params)]
