"""What the API accepts, decided once for every endpoint (issue 9, defect 7).

Two layers, each at the depth where the problem can be seen:

- `install(app)`: a guard before any view or argument parser runs. A JSON body nested
  deeper than `MAX_JSON_DEPTH` is refused with 400 before anything parses it (Python's
  parser would otherwise recurse until `RecursionError`), and so is a header holding a
  NUL; a path parameter holding one is refused with 422 naming it.
- `ApiSchema`: the base of every marshmallow schema of the API. Every string field refuses
  text that neither database can store (NUL, lone UTF-16 surrogates), every integer field
  stays within a signed 32-bit column, and free-form JSON (case data, payloads, worker
  variables) is checked the same way all the way down, plus no NaN or infinity. The
  rules are validators on the fields, so the OpenAPI document shows them (`pattern`,
  `minimum`, `maximum`) and a 422 names the field.
"""

from __future__ import annotations

import math
import re
from itertools import accumulate
from typing import Any

from flask import Flask, request
from marshmallow import Schema, ValidationError, fields, validate

from engine.errors import ReliefError, ValidationFailed

MAX_JSON_DEPTH = 32
# INTEGER columns are 32-bit on PostgreSQL; SQLite's are 64-bit. The narrower one wins.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# ECMA-262 and Python read this the same way: no NUL, no UTF-16 surrogate code unit.
TEXT_PATTERN = r"^[^\u0000\uD800-\uDFFF]*$"
TEXT_RULE = "text without NUL characters or lone surrogates (neither database can store them)"
_UNSTORABLE = re.compile(r"[\u0000\ud800-\udfff]")


class BadRequest(ReliefError):
    """The request as a whole cannot be read (e.g. JSON nested too deeply)."""

    code = "bad_request"
    status = 400


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    what = "a NUL character" if found.group() == "\0" else f"a lone surrogate (U+{ord(found.group()):04X})"
    return f"contains {what} at position {found.start()}; {TEXT_RULE}"


def json_problem(value: Any) -> tuple[str, str] | None:
    """The first place in a decoded JSON value that cannot be stored: (dotted path, why).

    Walks iteratively (no recursion) and stops at `MAX_JSON_DEPTH`."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                return path, problem
        elif isinstance(item, float):
            if not math.isfinite(item):
                return path, "NaN and infinity are not JSON numbers"
        elif isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                return path, f"nested deeper than {MAX_JSON_DEPTH} levels"
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and (problem := text_problem(key)):
                    return f"{path}.{key!r}".lstrip("."), f"key {problem}"
                stack.append((child, f"{path}.{key}".lstrip("."), depth + 1))
    return None


def _check_text(value: str) -> None:
    if problem := text_problem(value):
        raise ValidationError(problem)


def _check_json(value: Any) -> None:
    found = json_problem(value)
    if found is not None:
        path, problem = found
        raise ValidationError(f"{path}: {problem}" if path else problem)


def _apply_rules(field: fields.Field) -> None:
    """Add the API's rules to a field (and to the fields it contains), once.

    Schema instances copy their fields shallowly, sharing the `validators` list of the
    declaration: the rules go into a new list, so that no copy gets them twice."""
    if getattr(field, "_api_rules", False) or field.dump_only:
        return
    field._api_rules = True  # type: ignore[attr-defined]
    if isinstance(field, fields.String):
        # One `pattern` per property in the document: a field with its own regex keeps
        # it there (its regex excludes NUL anyway) and gets the check without a pattern.
        has_regex = any(isinstance(getattr(v, "regex", None), re.Pattern) for v in field.validators)
        rule = _check_text if has_regex else validate.Regexp(TEXT_PATTERN, error=TEXT_RULE)
        field.validators = [*field.validators, rule]
    elif isinstance(field, fields.Integer):
        field.validators = [*field.validators, validate.Range(INT_MIN, INT_MAX)]
    elif isinstance(field, fields.List):
        _apply_rules(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            _apply_rules(inner)
    elif isinstance(field, fields.Mapping):
        if field.key_field is not None:
            _apply_rules(field.key_field)
        if field.value_field is not None:
            _apply_rules(field.value_field)
        else:
            field.validators = [*field.validators, _check_json]


class ApiSchema(Schema):
    """marshmallow's Schema with the API's input rules on every field (see the module)."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        super().on_bind_field(field_name, field_obj)
        _apply_rules(field_obj)


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """How deeply the JSON text `body` nests, without parsing it (strings are skipped)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _has_nul(environ: dict[str, Any]) -> bool:
    """Whether any text of the WSGI environment (headers among it) holds a NUL: one scan of
    its values, where naming every header first (werkzeug's view of them) cost a third of
    this guard on every request."""
    return any("\0" in value for value in environ.values() if type(value) is str)


def _guard() -> None:
    if _has_nul(request.environ):
        for name, value in request.headers.items():
            # Credentials and senders are looked up in the database; a NUL never is a valid one.
            if "\0" in value:
                raise BadRequest(f"the header {name} contains a NUL character", {"header": name})
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and (problem := text_problem(value)):
            raise ValidationFailed(f"invalid input: {name}", {"fields": {name: [problem]}})
    if request.is_json and request.content_length != 0:
        body = request.get_data(cache=True)
        # A text cannot nest deeper than it has opening brackets: most bodies need no walk.
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
            raise BadRequest(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels",
                             {"body": [f"nested deeper than {MAX_JSON_DEPTH} levels"]})


def install(app: Flask) -> None:
    """Check every request before anything else reads it (install before the auth check)."""
    app.before_request(_guard)
