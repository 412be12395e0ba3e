"""The worker protocol, spoken in-process (the embedded default) or over HTTP (worker
processes on other machines). Both sides offer the same five calls; the runner in
workers/loop.py uses only these, so the handlers run the same way in both."""

from __future__ import annotations

from typing import Any, Protocol

import requests

from engine.errors import Conflict, Forbidden, NotFound, ReliefError, Unauthorized, ValidationFailed
from engine.records import CompletionRecord
from engine.service import Engine
from workers.context import JobView

LONG_POLL_SLACK = 10  # seconds the HTTP client waits beyond the server's long poll


class JobSource(Protocol):
    worker_id: str

    def fetch(self, topics: list[str], max_jobs: int, lock_seconds: int, wait_seconds: float) -> list[JobView]: ...

    def complete(self, job_id: str, variables: dict[str, Any],
                 record: CompletionRecord | None = None) -> dict[str, Any]:
        """Complete the job (keeping `record` with it); the result as stored (the record's columns in it)."""
        ...

    def fail(self, job_id: str, error: str, details: dict[str, Any] | None, retries: int | None,
             retry_in_seconds: int) -> None: ...

    def bpmn_error(self, job_id: str, code: str, message: str, variables: dict[str, Any]) -> None: ...

    def extend_lock(self, job_id: str, lock_seconds: int) -> None: ...


def view(row: Any) -> JobView:
    """A job row (or its JSON) as a handler sees it."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    variables = get("variables") or {}
    return JobView(get("id"), get("topic"), get("instance_id") or get("case_id"), variables.get("params", {}),
                   variables.get("case", {}), get("idempotency_key"), variables.get("business_key"),
                   get("attempts") or 1)


class EngineSource:
    """In-process: calls the engine directly (same commands as the HTTP endpoints)."""

    def __init__(self, engine: Engine, worker_id: str = "in-process") -> None:
        self.engine, self.worker_id = engine, worker_id

    def fetch(self, topics: list[str], max_jobs: int, lock_seconds: int, wait_seconds: float = 0) -> list[JobView]:
        return [view(j) for j in self.engine.fetch_and_lock(self.worker_id, topics, max_jobs, lock_seconds)]

    def complete(self, job_id: str, variables: dict[str, Any],
                 record: CompletionRecord | None = None) -> dict[str, Any]:
        return self.engine.complete_job(job_id, self.worker_id, variables, record).result or {}

    def fail(self, job_id: str, error: str, details: dict[str, Any] | None, retries: int | None,
             retry_in_seconds: int) -> None:
        self.engine.fail_job(job_id, self.worker_id, error, retries, retry_in_seconds, details)

    def bpmn_error(self, job_id: str, code: str, message: str, variables: dict[str, Any]) -> None:
        self.engine.bpmn_error(job_id, self.worker_id, code, message, variables)

    def extend_lock(self, job_id: str, lock_seconds: int) -> None:
        self.engine.extend_lock(job_id, self.worker_id, lock_seconds)


_ERRORS: dict[int, type[ReliefError]] = {401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
                                         422: ValidationFailed}


class HttpSource:
    """Over HTTP with a worker token: POST /api/v1/jobs/…; API errors come back as the
    engine's error types, so the runner treats both sources alike."""

    def __init__(self, url: str, token: str, worker_id: str) -> None:
        self.base = url.rstrip("/") + "/api/v1/jobs"
        self.worker_id = worker_id
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             params: list[tuple[str, str]] | None = None, timeout: float = 30) -> Any:
        """One call under /api/v1/jobs as this worker (its id goes in the body, or the query of
        a GET); the JSON answer, or the engine's error type for a 4xx."""
        if method == "GET":
            r = self.http.get(f"{self.base}{path}", params=[("worker_id", self.worker_id), *(params or [])],
                              timeout=timeout)
        else:
            r = self.http.request(method, f"{self.base}{path}", json={"worker_id": self.worker_id, **(body or {})},
                                  timeout=timeout)
        if r.status_code >= 400:
            try:
                err = r.json()
            except ValueError:
                err = {"message": r.text[:300]}
            raise _ERRORS.get(r.status_code, ReliefError)(err.get("message", f"HTTP {r.status_code}"),
                                                          err.get("details") or {})
        return r.json() if r.content else None

    def _post(self, path: str, body: dict[str, Any], timeout: float = 30) -> Any:
        return self.call("POST", path, body, timeout=timeout)

    def fetch(self, topics: list[str], max_jobs: int, lock_seconds: int, wait_seconds: float = 0) -> list[JobView]:
        body = {"topics": [{"name": t, "lock_seconds": lock_seconds} for t in topics], "max_jobs": max_jobs,
                "wait_seconds": wait_seconds}
        return [view(j) for j in self._post("/fetch-and-lock", body, timeout=wait_seconds + LONG_POLL_SLACK)]

    def complete(self, job_id: str, variables: dict[str, Any],
                 record: CompletionRecord | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"variables": variables}
        if record is not None:
            body["record"] = {"kind": record.kind, "fields": record.fields, "into": record.into}
        return self._post(f"/{job_id}/complete", body).get("result") or {}

    def fail(self, job_id: str, error: str, details: dict[str, Any] | None, retries: int | None,
             retry_in_seconds: int) -> None:
        body: dict[str, Any] = {"error": error, "details": details or {}, "retry_in_seconds": retry_in_seconds}
        if retries is not None:
            body["retries"] = retries
        self._post(f"/{job_id}/fail", body)

    def bpmn_error(self, job_id: str, code: str, message: str, variables: dict[str, Any]) -> None:
        self._post(f"/{job_id}/bpmn-error", {"code": code, "message": message, "variables": variables})

    def extend_lock(self, job_id: str, lock_seconds: int) -> None:
        self._post(f"/{job_id}/extend-lock", {"lock_seconds": lock_seconds})
