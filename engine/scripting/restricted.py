"""Compile and run designer-written Python under RestrictedPython with our own guards.

RestrictedPython refuses names and attributes that start with `_` at compile time
(which closes `().__class__.__base__.__subclasses__()`); on top of that we refuse
constructs that can hang the engine (`while`, `**`, `import`, `global`), bound the
source size and `range`, and expose only a short list of safe builtins.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine.errors import ScriptRejected

MAX_EXPRESSION_CHARS = 2_000
MAX_SCRIPT_CHARS = 20_000
MAX_RANGE = 10_000

_FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.While: "while loops are not allowed (a script must always finish)",
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.Global: "global is not allowed",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.Yield: "generators are not allowed",
    ast.YieldFrom: "generators are not allowed",
    ast.ClassDef: "classes are not allowed",
    ast.Try: "try blocks are not allowed",
    ast.With: "with blocks are not allowed",
}
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "vars",
                    "globals", "locals", "type", "super", "breakpoint", "input", "help", "dir"}


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ValueError(f"range of {len(r)} items is longer than the allowed {MAX_RANGE}")
    return r


SAFE_BUILTINS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": sum, "sorted": sorted, "any": any, "all": all,
    "int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict,
    "set": set, "tuple": tuple, "round": round, "abs": abs, "enumerate": enumerate,
    "zip": zip, "isinstance": isinstance, "range": _bounded_range,
    "True": True, "False": False, "None": None,
}


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _write(obj: Any) -> Any:
    # Task data is plain dicts and lists; designers may update them in scripts.
    if isinstance(obj, (dict, list, set)):
        return obj
    raise ScriptRejected(f"cannot modify an object of type {type(obj).__name__}")


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b,
    }
    if op not in ops:
        raise ScriptRejected(f"operator {op} is not allowed")
    return ops[op](x, y)


_GUARDS: dict[str, Any] = {
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_write_": _write,
    "_inplacevar_": _inplacevar,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
}


def _scan(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        reason = _FORBIDDEN_NODES.get(type(node))
        if reason:
            raise ScriptRejected(reason, {"line": getattr(node, "lineno", None)})
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            raise ScriptRejected("the ** operator is not allowed", {"line": node.lineno})
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            raise ScriptRejected(f"{node.func.id}() is not allowed", {"line": node.lineno})


def _compile(source: str, mode: str, limit: int) -> CodeType:
    if not isinstance(source, str) or not source.strip():
        raise ScriptRejected("the expression is empty")
    if len(source) > limit:
        raise ScriptRejected(f"the {'expression' if mode == 'eval' else 'script'} is longer than {limit} characters")
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as err:
        raise ScriptRejected(f"syntax error: {err.msg}", {"line": err.lineno}) from err
    _scan(tree)
    try:
        return compile_restricted(source.strip() if mode == "eval" else source, "<designer>", mode)
    except SyntaxError as err:
        # RestrictedPython reports all its findings at once as a tuple of lines.
        findings = err.args[0] if err.args and isinstance(err.args[0], tuple) else (str(err),)
        raise ScriptRejected("; ".join(sorted(findings))) from err


@lru_cache(maxsize=4096)
def check_expression(expression: str) -> CodeType:
    """Compile an expression or raise ScriptRejected saying what is not allowed."""
    return _compile(expression, "eval", MAX_EXPRESSION_CHARS)


@lru_cache(maxsize=1024)
def check_script(script: str) -> CodeType:
    """Compile a script or raise ScriptRejected saying what is not allowed."""
    return _compile(script, "exec", MAX_SCRIPT_CHARS)


def _namespace(functions: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    ns = dict(_GUARDS)
    ns.update(functions)
    ns.update(data)
    return ns


def evaluate(expression: str, data: Mapping[str, Any], functions: Mapping[str, Any] | None = None) -> Any:
    """Evaluate `expression` over `data` with the host `functions` available."""
    code = check_expression(expression)
    return eval(code, _namespace(functions or {}, data))  # noqa: S307 - restricted bytecode, guarded globals


def execute(script: str, data: dict[str, Any], functions: Mapping[str, Any] | None = None) -> None:
    """Run `script`; the variables it leaves behind become the new `data` (in place)."""
    code = check_script(script)
    fns = functions or {}
    ns = _namespace(fns, data)
    exec(code, ns)  # noqa: S102 - restricted bytecode, guarded globals
    hidden: Iterable[str] = set(_GUARDS) | set(fns)
    for key in list(data):
        if key not in ns:
            del data[key]
    for key, value in ns.items():
        if key in hidden and value is (fns.get(key) if key in fns else _GUARDS.get(key)):
            continue
        if callable(value) and not isinstance(value, (dict, list)):
            continue
        data[key] = value
