"""RestrictedPython's policy plus the calls that keep designer code within its bounds.

RestrictedPython already routes every loop and comprehension through `_getiter_`,
attribute reads through `_getattr_` and `x += y` through `_inplacevar_`; bounds.py
supplies counting versions of those. This policy adds, after RestrictedPython has
checked a node (so the `_` names it inserts are not refused):

- `_guard_function_` around every `def` (as the outermost decorator) and `lambda`:
  a call is a step and nested calls are bounded (exponential recursion);
- `a * b`, `a + b`, `a - b`, `a << b`, `a % b` become `_mul_(a, b)` and so on, which refuse
  a too big integer, string or list before making it (repeated squaring, `"x" * 10**9`);
- an f-string field with a format spec becomes `_format_(value, conversion, spec)`, which
  bounds its width and precision (`f"{x:>999999999}"`).
"""

from __future__ import annotations

import ast

from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython.transformer import copy_locations

_BINOPS: dict[type[ast.operator], str] = {
    ast.Mult: "_mul_", ast.Add: "_add_", ast.Sub: "_sub_", ast.LShift: "_lshift_", ast.Mod: "_mod_",
}


def _call(name: str, where: ast.AST, *args: ast.expr) -> ast.Call:
    """`name(*args)` placed where `where` is in the source (so tracebacks keep their line)."""
    call = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    copy_locations(call, where)
    return call


class BoundingPolicy(RestrictingNodeTransformer):
    """RestrictingNodeTransformer that also inserts the bound checks (see module doc)."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = super().visit_FunctionDef(node)
        guard = ast.Name("_guard_function_", ast.Load())
        copy_locations(guard, node)
        node.decorator_list.insert(0, guard)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        return _call("_guard_function_", node, node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = super().visit_BinOp(node)
        guard = _BINOPS.get(type(node.op))
        if guard is None:
            return node
        return _call(guard, node, node.left, node.right)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = super().visit_FormattedValue(node)
        if node.format_spec is None:
            return node  # str(value) or repr(value): as long as the value itself, already bounded
        node.value = _call("_format_", node.value, node.value, ast.Constant(node.conversion), node.format_spec)
        node.conversion, node.format_spec = -1, None
        return node
