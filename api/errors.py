"""Every error leaves as JSON `{error, message, details}` naming what is at fault."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from api.schemas import ErrorBody
from engine.errors import ReliefError

log = logging.getLogger("relief.api")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "validation_failed",
          500: "internal_error"}


class ReliefApi(Api):
    """flask-smorest's Api with our error body instead of `{code, status, errors}`, in the
    answers and in the OpenAPI document alike."""

    ERROR_SCHEMA = ErrorBody
    # No catch-all `default` response: each operation lists the statuses it can answer
    # (api/openapi.py), so a client and schemathesis know every one of them.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
        data = getattr(error, "data", None) or {}
        details: dict[str, Any] = {}
        messages = data.get("errors") or data.get("messages")
        if messages:
            # webargs nests by location ("json", "query", "files"); the field is what matters.
            fields: dict[str, Any] = {}
            for location, errs in messages.items():
                fields.update(errs if isinstance(errs, dict) else {location: errs})
            details["fields"] = fields
        code = error.code or 500
        message = data.get("message") or error.description or error.name
        if details.get("fields"):
            message = "invalid input: " + ", ".join(sorted(details["fields"]))
        if code >= 500:
            message = "internal error; it has been logged"
        # Werkzeug's own headers too: a 405 names the methods it allows (`Allow`).
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return {"error": _CODES.get(code, "error"), "message": message, "details": details}, code, headers


def register(app: Flask) -> None:
    @app.errorhandler(ReliefError)
    def _relief_error(err: ReliefError) -> ResponseReturnValue:
        # A lockout says when to come back (engine/auth/lockout.py).
        retry = err.details.get("retry_after_seconds")
        return jsonify(err.to_dict()), err.status, ({"Retry-After": str(retry)} if retry else {})

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> ResponseReturnValue:
        if isinstance(err, HTTPException):
            return app.extensions["relief_api"].handle_http_exception(err)
        log.exception("unhandled error")
        return jsonify({"error": "internal_error", "message": "internal error; it has been logged",
                        "details": {}}), 500
