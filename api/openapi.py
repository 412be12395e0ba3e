"""The OpenAPI document says what the server does (issue 9, defect 11).

flask-smorest documents each view's own responses; what every view shares is added here
from the same facts the server acts on: the authorization rule of the view (who is
asked for which credential, and may get 401/403), its path parameters (404, and 422 for
text no database can store), and whether it reads a body (400 for JSON nested too deeply,
413 for a body over the size limit). Error answers all have the body `ErrorBody`."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.spec.plugins import FlaskPlugin
from werkzeug.routing import PathConverter, UnicodeConverter

from api.inputs import TEXT_PATTERN
from api.security import PUBLIC, SIGNED, WORKER
from api.worker_schemas import COMPLETION_RECORDS
from engine.auth import signatures

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "a user's token from POST /api/v1/auth/token"},
    "workerToken": {"type": "http", "scheme": "bearer",
                    "description": "a worker token `rw_…` (relief worker-token create)"},
    "sender": {"type": "apiKey", "in": "header", "name": signatures.SENDER,
               "description": "`12345` or `dept:<code>`: a signed request from an outside system"},
    "timestamp": {"type": "apiKey", "in": "header", "name": signatures.TIMESTAMP,
                  "description": "Unix seconds; older than five minutes is refused"},
    "signature": {"type": "apiKey", "in": "header", "name": signatures.SIGNATURE,
                  "description": "hex HMAC-SHA256 of `{timestamp}.{body}` with the sender's secret"},
}
_SIGNED = {"sender": [], "timestamp": [], "signature": []}
_BODY_METHODS = {"post", "put", "patch"}


def text_path_parameter(_converter: UnicodeConverter | PathConverter) -> dict[str, Any]:
    """A path parameter of the default converter: any text a database can store."""
    return {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN}


def register_converters(api: Api) -> None:
    """Document path parameters (call before registering blueprints)."""
    api.register_converter(UnicodeConverter, text_path_parameter)
    api.register_converter(PathConverter, text_path_parameter)  # form keys hold '/'


def _security(rule: tuple[str, ...]) -> list[dict[str, list[str]]] | None:
    if PUBLIC in rule:
        return []
    if WORKER in rule:
        return [{"workerToken": []}]
    roles = [r for r in rule if r != SIGNED]
    if SIGNED in rule:
        return ([{"bearer": []}] if roles else []) + [_SIGNED]
    return None  # the document's default: a user's bearer token


def _statuses(rule: tuple[str, ...], method: str, has_path_params: bool) -> list[int]:
    statuses = []
    if PUBLIC not in rule:
        # 403 on every such route: roles, and even where any signed-in user may come, a
        # system account's token (api/security.py) or a password still to be replaced.
        statuses += [401, 403]
    if has_path_params:
        statuses += [404, 422]
    if method in _BODY_METHODS:
        statuses += [400, 413]
    return statuses


def complete_document(app: Flask, api: Api) -> None:
    """Add the shared security requirements and error answers to every operation."""
    spec = api.spec
    spec.components.security_schemes.update(SECURITY_SCHEMES)
    _completion_records(spec)
    paths = spec._paths  # noqa: SLF001 - apispec keeps the registered paths here
    for url_rule in app.url_map.iter_rules():
        path = FlaskPlugin.flaskpath2openapi(url_rule.rule)
        rule = getattr(app.view_functions[url_rule.endpoint], "_relief_rule", None)
        if path not in paths or rule is None:
            continue
        for method in url_rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths[path].get(method.lower())
            if operation is None:
                continue
            security = _security(rule)
            if security is not None:
                operation["security"] = security
            responses = operation.setdefault("responses", {})
            for status in _statuses(rule, method.lower(), bool(url_rule.arguments)):
                if str(status) not in responses:
                    responses[str(status)] = spec.components.get_ref("response", http.HTTPStatus(status).name)
        _operation_parameters_win(paths[path])


def _completion_records(spec: Any) -> None:
    """The record a job's completion keeps, one schema per kind (api/worker_schemas.py): the
    field's `oneOf` names them; here they are added as components, with `kind` telling them
    apart (apispec passes no discriminator through a field's metadata)."""
    for schema in COMPLETION_RECORDS.values():
        if schema.__name__ not in spec.components.schemas:
            spec.components.schema(schema.__name__, schema=schema)
    record = spec.components.schemas.get("CompleteJobRequest", {}).get("properties", {}).get("record")
    if record is not None:
        record["discriminator"] = {"propertyName": "kind", "mapping": {
            kind: f"#/components/schemas/{schema.__name__}" for kind, schema in COMPLETION_RECORDS.items()}}


def _operation_parameters_win(item: dict[str, Any]) -> None:
    """A path parameter an operation states itself (e.g. a tighter pattern) leaves the path
    level: OpenAPI lets the operation's override it, but clients and fuzzers read both."""
    shared = item.get("parameters")
    if not shared:
        return
    operations = [op for name, op in item.items() if name in ("get", "post", "put", "patch", "delete")]
    own = {(p["in"], p["name"]) for op in operations for p in op.get("parameters", []) if "in" in p}
    overridden = [p for p in shared if (p.get("in"), p.get("name")) in own]
    if not overridden:
        return
    item["parameters"] = [p for p in shared if p not in overridden]
    for op in operations:
        names = {(p.get("in"), p.get("name")) for p in op.get("parameters", [])}
        op.setdefault("parameters", []).extend(p for p in overridden if (p["in"], p["name"]) not in names)

