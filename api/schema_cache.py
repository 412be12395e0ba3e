"""Request schemas made once per class (issue 15, the API's own overhead).

`blp.arguments(SomeSchema, ...)` hands webargs the class, and webargs makes a new Schema
from it on every request: marshmallow deep-copies every declared field each time, ~4 % of
a small API request's CPU (profiled: the five-step case of bench/http_api.py). A schema
instance holds no per-request state (marshmallow 4 has no `context`), and flask-smorest
already shares its response schema instances between threads, so one instance per class
serves every request, as `blp.arguments(SomeSchema(), ...)` would."""

from __future__ import annotations

import threading
from typing import Any

import marshmallow as ma
from flask_smorest.arguments import ArgumentsMixin

_MADE: dict[type[ma.Schema], ma.Schema] = {}
_LOCK = threading.Lock()


def install() -> None:
    """Make flask-smorest's argument parser reuse one schema instance per schema class (once)."""
    parser = ArgumentsMixin.ARGUMENTS_PARSER
    if getattr(parser, "_relief_schema_cache", False):
        return
    build = parser._get_schema  # webargs' own: instances, dicts and callables are left to it

    def _get_schema(argmap: Any, req: Any) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = _MADE.get(argmap)
            if schema is None:
                with _LOCK:
                    schema = _MADE.setdefault(argmap, argmap())
            return schema
        return build(argmap, req)

    parser._get_schema = _get_schema  # type: ignore[method-assign]
    parser._relief_schema_cache = True  # type: ignore[attr-defined]
