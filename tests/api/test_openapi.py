"""The OpenAPI document tells the truth (issue 9, defect 11): every route is in it, every
error answer has the body the API sends, every input states the rules the server keeps.
tests/reliability/test_schemathesis.py then proves the answers against it."""

from __future__ import annotations

from typing import Any

import pytest
from flask_smorest.spec.plugins import FlaskPlugin

from api.app import create_app
from api.inputs import INT_MAX, INT_MIN
from api.security import PUBLIC
from api.settings import Settings

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("openapi")
    return create_app(Settings.from_env(mode="test", database_url=f"sqlite:///{tmp}/x.sqlite", var_dir=tmp))


@pytest.fixture(scope="module")
def spec(app) -> dict[str, Any]:
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _api_routes(app) -> dict[tuple[str, str], Any]:
    out = {}
    for r in app.url_map.iter_rules():
        if r.rule.startswith("/api/v1/") and not r.endpoint.startswith("api-docs."):
            for method in r.methods - {"HEAD", "OPTIONS"}:
                out[(method.lower(), FlaskPlugin.flaskpath2openapi(r.rule))] = r
    return out


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op, item.get("parameters", []) + op.get("parameters", [])


def test_issue9_defect11_every_route_is_documented_and_nothing_else(app, spec):
    documented = {(m, p) for m, p, _, _ in _operations(spec)}
    assert documented == set(_api_routes(app))
    assert len(documented) >= 41


def test_issue9_defect11_every_error_answer_is_the_body_the_api_sends(spec):
    body = spec["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"error", "message", "details"}
    assert set(body["required"]) == {"error", "message", "details"} and body["additionalProperties"] is False
    assert "Error" not in spec["components"]["schemas"]  # flask-smorest's {code, status, message, errors}
    for method, path, op, _ in _operations(spec):
        assert "default" not in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if int(status) >= 400:
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_issue9_defect11_each_operation_lists_the_statuses_its_rule_and_parameters_can_answer(app, spec):
    routes = _api_routes(app)
    for method, path, op, params in _operations(spec):
        rule = app.view_functions[routes[(method, path)].endpoint]._relief_rule
        statuses = set(op["responses"])
        if PUBLIC in rule:
            assert op["security"] == [], path
        else:
            assert "401" in statuses, (method, path)
        if any(p["in"] == "path" for p in params):
            assert {"404", "422"} <= statuses, (method, path)
        if method in ("post", "put"):
            assert {"400", "413"} <= statuses, (method, path)


def _resolve(spec, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _inputs(spec, schema: dict[str, Any], where: str, seen: set[str]):
    """Every (where, schema) of a request schema, nested ones included."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen = seen | {schema["$ref"]}
    schema = _resolve(spec, schema)
    if schema.get("readOnly"):
        return
    yield where, schema
    for name, prop in schema.get("properties", {}).items():
        yield from _inputs(spec, prop, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from _inputs(spec, schema["items"], f"{where}[]", seen)


def test_issue9_defect7_every_input_string_and_integer_states_its_bounds(spec):
    """The rule every schema inherits (api/inputs.py ApiSchema) is visible in the document:
    a schema that does not inherit it fails here."""
    loose = []
    for method, path, op, params in _operations(spec):
        roots = [(f"{p['in']}:{p['name']}", p["schema"]) for p in params]
        for content in op.get("requestBody", {}).get("content", {}).values():
            roots.append(("body", content["schema"]))
        for root, schema in roots:
            for where, s in _inputs(spec, schema, root, set()):
                if s.get("type") == "string" and not ({"pattern", "enum", "format"} & set(s)):
                    loose.append(f"{method.upper()} {path} {where}: string without pattern")
                if s.get("type") == "integer" and not (INT_MIN <= s.get("minimum", INT_MIN - 1)
                                                        and s.get("maximum", INT_MAX + 1) <= INT_MAX):
                    loose.append(f"{method.upper()} {path} {where}: integer beyond 32 bits")
    assert loose == []


def test_issue9_defect11_a_method_the_document_does_not_list_is_405_with_allow(app, spec):
    client = app.test_client()
    for path, item in spec["paths"].items():
        documented = {m.upper() for m in item if m in METHODS}
        url = path.replace("{", "").replace("}", "")
        for method in sorted({m.upper() for m in METHODS} - documented):
            r = client.open(url, method=method)
            assert r.status_code == 405, (method, path, r.status_code)
            assert r.get_json()["error"] == "method_not_allowed"
            allowed = {m.strip() for m in r.headers["Allow"].split(",")}
            assert allowed - {"HEAD", "OPTIONS"} == documented, (path, allowed)
