"""Compile and run designer-written Python under RestrictedPython with our own guards.

RestrictedPython refuses names and attributes that start with `_` at compile time
(which closes `().__class__.__base__.__subclasses__()`); on top of that we refuse
constructs that can hang the engine (`while`, `**`, `import`, `global`), bound the
source size and `range`, and expose only a short list of safe builtins. Every run is
bounded in steps, time, sizes, call depth and memory (bounds.py, instrument.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted

from engine.errors import ScriptRejected
from engine.scripting.bounds import GUARD_NAMES, Budget, guards_used, iter_unpack, limit, unpack
from engine.scripting.instrument import BoundingPolicy

MAX_EXPRESSION_CHARS = 2_000
MAX_SCRIPT_CHARS = 20_000
MAX_RANGE = 10_000
MAX_NESTING = 100  # the compiler and RestrictedPython recurse over the tree: ~1000 levels crash them

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
        raise limit("max_range", MAX_RANGE, f"range of {len(r)} items is longer than the allowed {MAX_RANGE}")
    return r


def _sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    # sum(lists, []) would copy the growing list at every item: numbers only
    if isinstance(start, bool) or not isinstance(start, int | float):
        raise ScriptRejected("sum() adds numbers only")
    return sum(iterable, start)


SAFE_BUILTINS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": _sum, "sorted": sorted, "any": any, "all": all,
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


# The guards that need no budget; the budget's own (`Budget.guards`) are added per run.
_GUARDS: dict[str, Any] = {
    "__builtins__": SAFE_BUILTINS,
    "_getitem_": _getitem,
    "_write_": _write,
    "_iter_unpack_sequence_": iter_unpack,
    "_unpack_sequence_": unpack,
}
_GUARD_NAMES = frozenset(_GUARDS) | GUARD_NAMES


def _scan(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        reason = _FORBIDDEN_NODES.get(type(node))
        if reason:
            raise ScriptRejected(reason, {"line": getattr(node, "lineno", None)})
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            raise ScriptRejected("the ** operator is not allowed", {"line": node.lineno})
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            raise ScriptRejected(f"{node.func.id}() is not allowed", {"line": node.lineno})


def _check_nesting(tree: ast.AST) -> None:
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ScriptRejected(f"the code is nested more than {MAX_NESTING} levels deep",
                                 {"line": getattr(node, "lineno", None)})
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _compile(source: str, mode: str, limit: int) -> CodeType:
    if not isinstance(source, str) or not source.strip():
        raise ScriptRejected("the expression is empty")
    if len(source) > limit:
        raise ScriptRejected(f"the {'expression' if mode == 'eval' else 'script'} is longer than {limit} characters")
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as err:
        raise ScriptRejected(f"syntax error: {err.msg}", {"line": err.lineno}) from err
    except (RecursionError, MemoryError) as err:
        raise ScriptRejected(f"the code is nested too deeply to read ({type(err).__name__})") from None
    _check_nesting(tree)
    _scan(tree)
    try:
        return compile_restricted(source.strip() if mode == "eval" else source, "<designer>", mode,
                                  policy=BoundingPolicy)
    except SyntaxError as err:
        # RestrictedPython reports all its findings at once as a tuple of lines.
        findings = err.args[0] if err.args and isinstance(err.args[0], tuple) else (str(err),)
        raise ScriptRejected("; ".join(sorted(findings))) from err


@lru_cache(maxsize=4096)
def _expression(expression: str) -> tuple[CodeType, tuple[str, ...]]:
    code = _compile(expression, "eval", MAX_EXPRESSION_CHARS)
    return code, guards_used(code)


@lru_cache(maxsize=1024)
def _script(script: str) -> tuple[CodeType, tuple[str, ...]]:
    code = _compile(script, "exec", MAX_SCRIPT_CHARS)
    return code, guards_used(code)


def check_expression(expression: str) -> CodeType:
    """Compile an expression or raise ScriptRejected saying what is not allowed."""
    return _expression(expression)[0]


def check_script(script: str) -> CodeType:
    """Compile a script or raise ScriptRejected saying what is not allowed."""
    return _script(script)[0]


def _namespace(budget: Budget, used: tuple[str, ...], functions: Mapping[str, Any],
               data: Mapping[str, Any]) -> dict[str, Any]:
    # Data may shadow a host function (a case variable `today`), never a guard. Only the
    # budget's guards the code calls are bound (most conditions call none).
    ns = dict(functions)
    ns.update(data)
    ns.update(_GUARDS)
    if used:
        ns.update(budget.guards(used))
    return ns


def evaluate(expression: str, data: Mapping[str, Any], functions: Mapping[str, Any] | None = None) -> Any:
    """Evaluate `expression` over `data` with the host `functions` available, within the
    bounds of the running command (EvaluationLimit naming the bound otherwise)."""
    code, used = _expression(expression)
    budget = Budget()
    try:
        result = eval(code, _namespace(budget, used, functions or {}, data))  # noqa: S307 - restricted, guarded
        _check_data(budget, result)
        return result
    finally:
        budget.close()


def execute(script: str, data: dict[str, Any], functions: Mapping[str, Any] | None = None) -> None:
    """Run `script`; the variables it leaves behind become the new `data` (in place).
    Bounded like `evaluate`; what it leaves must also be data the engine can store."""
    code, used = _script(script)
    fns = functions or {}
    budget = Budget()
    try:
        ns = _namespace(budget, used, fns, data)
        exec(code, ns)  # noqa: S102 - restricted bytecode, guarded globals
        results = {key: value for key, value in ns.items()
                   if key not in _GUARD_NAMES and not (key in fns and value is fns[key]) and not _is_function(value)}
        _check_data(budget, results)
    finally:
        budget.close()
    for key in list(data):
        if key not in results:
            del data[key]
    data.update(results)


def _is_function(value: Any) -> bool:
    return callable(value) and not isinstance(value, (dict, list))


def _check_data(budget: Budget, value: Any) -> None:
    """Refuse a value nested deeper or holding more items than the case data may (it is
    copied, stored and sent as JSON; a 10,000-deep list would break all three)."""
    if not isinstance(value, (dict, list, tuple, set)):
        return
    limits = budget.limits
    stack: list[tuple[Any, int]] = [(value, 1)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limits.max_data_items:
            raise limit("max_data_items", limits.max_data_items,
                        f"the data holds more than {limits.max_data_items} values")
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, (list, tuple, set)):
            children = item
        else:
            continue
        if depth > limits.max_data_depth:
            raise limit("max_data_depth", limits.max_data_depth,
                        f"the data is nested more than {limits.max_data_depth} levels deep")
        stack.extend((child, depth + 1) for child in children)
