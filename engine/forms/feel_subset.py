"""A tiny, safe subset of FEEL for form-js `conditional.hide` expressions.

form-js evaluates `"=..."` strings with a full FEEL engine in the browser; the server
must reach the same decision about which fields are hidden, without `eval`. We parse
the small subset designers actually need into a tree and interpret it:

    expr     := or_expr
    or_expr  := and_expr ("or" and_expr)*
    and_expr := compare ("and" compare)*
    compare  := operand (("=" | "!=" | "<" | "<=" | ">" | ">=") operand)?
    operand  := "not" "(" expr ")" | "list contains" "(" expr "," expr ")"
              | "(" expr ")" | name | string | number | true | false | null

Anything else is refused at load time with `ConditionError`, so a form never reaches
production with a condition the server would evaluate differently from the browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_EXPRESSION_LENGTH = 500
MAX_DEPTH = 20  # keeps the recursive-descent parser far from Python's recursion limit

_KEYWORDS = {"and", "or", "not", "true", "false", "null", "list", "contains"}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?[0-9]+(?:\.[0-9]+)?)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
      | (?P<name>[A-Za-z][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


class ConditionError(ValueError):
    """The expression is outside the supported FEEL subset."""


@dataclass(frozen=True)
class _Lit:
    value: Any


@dataclass(frozen=True)
class _Name:
    name: str


@dataclass(frozen=True)
class _Not:
    operand: Node


@dataclass(frozen=True)
class _Bool:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class _Cmp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class _Contains:
    haystack: Node
    needle: Node


Node = _Lit | _Name | _Not | _Bool | _Cmp | _Contains


@dataclass(frozen=True)
class Condition:
    """A parsed condition: `evaluate(data)` says whether it holds for `data`."""

    source: str
    tree: Node
    names: frozenset[str]

    def evaluate(self, data: Mapping[str, Any]) -> bool:
        """True when the condition holds; names missing from `data` are null."""
        return truthy(_eval(self.tree, data))


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ConditionError(f"unsupported syntax at position {pos}: {text[pos:pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "number":
            tokens.append(("lit", float(raw) if "." in raw else int(raw)))
        elif kind == "string":
            tokens.append(("lit", _unescape(raw[1:-1])))
        elif kind == "name" and raw in ("true", "false", "null"):
            tokens.append(("lit", {"true": True, "false": False, "null": None}[raw]))
        elif kind == "name" and raw in _KEYWORDS:
            tokens.append(("kw", raw))
        else:
            tokens.append((kind, raw))
    return tokens


def _unescape(body: str) -> str:
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            if nxt not in _ESCAPES:
                raise ConditionError(f"unsupported escape \\{nxt} in string")
            out.append(_ESCAPES[nxt])
        else:
            out.append(ch)
    return "".join(out)


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.names: set[str] = set()

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, value: Any = None) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            found = "end of expression" if tok is None else repr(tok[1])
            raise ConditionError(f"expected {value or kind}, found {found}")
        self.pos += 1
        return tok

    def accept(self, kind: str, value: Any) -> bool:
        if self.peek() == (kind, value):
            self.pos += 1
            return True
        return False

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError("expression is nested too deeply")
        node = self.and_expr()
        while self.accept("kw", "or"):
            node = _Bool("or", node, self.and_expr())
        self.depth -= 1
        return node

    def and_expr(self) -> Node:
        node = self.compare()
        while self.accept("kw", "and"):
            node = _Bool("and", node, self.compare())
        return node

    def compare(self) -> Node:
        left = self.operand()
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in ("=", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            return _Cmp(tok[1], left, self.operand())
        return left

    def operand(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ConditionError("expression ends too early")
        kind, value = tok
        if kind == "lit":
            self.pos += 1
            return _Lit(value)
        if kind == "name":
            self.pos += 1
            if self.peek() == ("op", "("):
                raise ConditionError(f"function {value}() is not supported")
            self.names.add(value)
            return _Name(value)
        if (kind, value) == ("kw", "not"):
            self.pos += 1
            self.take("op", "(")
            inner = self.expr()
            self.take("op", ")")
            return _Not(inner)
        if (kind, value) == ("kw", "list"):
            self.pos += 1
            self.take("kw", "contains")
            self.take("op", "(")
            haystack = self.expr()
            self.take("op", ",")
            needle = self.expr()
            self.take("op", ")")
            return _Contains(haystack, needle)
        if (kind, value) == ("op", "("):
            self.pos += 1
            inner = self.expr()
            self.take("op", ")")
            return inner
        raise ConditionError(f"unexpected {value!r}")


def parse_condition(text: str) -> Condition:
    """Parse a form-js condition such as `=channel != "grid" and not(urgent)`.

    The leading `=` (form-js' marker for an expression) is required. Raises
    `ConditionError` for anything outside the supported subset.
    """
    if not isinstance(text, str):
        raise ConditionError("condition must be a string")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ConditionError(f"condition is longer than {MAX_EXPRESSION_LENGTH} characters")
    body = text.strip()
    if not body.startswith("="):
        raise ConditionError("condition must be a FEEL expression starting with '='")
    parser = _Parser(_tokenize(body[1:]))
    if not parser.tokens:
        raise ConditionError("condition is empty")
    tree = parser.expr()
    if parser.peek() is not None:
        raise ConditionError(f"unexpected {parser.peek()[1]!r} after the expression")
    return Condition(text, tree, frozenset(parser.names))


def truthy(value: Any) -> bool:
    """How a hide result is read: null, false, "", 0 and [] do not hide."""
    return bool(value)


def _same_kind(a: Any, b: Any) -> bool:
    # bool is an int in Python but never equal to a number in FEEL
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return True
    return type(a) is type(b)


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return _same_kind(a, b) and a == b


def _eval(node: Node, data: Mapping[str, Any]) -> Any:
    if isinstance(node, _Lit):
        return node.value
    if isinstance(node, _Name):
        return data.get(node.name)
    if isinstance(node, _Not):
        return not truthy(_eval(node.operand, data))
    if isinstance(node, _Bool):
        left = truthy(_eval(node.left, data))
        if node.op == "and":
            return left and truthy(_eval(node.right, data))
        return left or truthy(_eval(node.right, data))
    if isinstance(node, _Contains):
        haystack = _eval(node.haystack, data)
        needle = _eval(node.needle, data)
        return isinstance(haystack, list | tuple) and any(_equal(item, needle) for item in haystack)
    left, right = _eval(node.left, data), _eval(node.right, data)
    if node.op == "=":
        return _equal(left, right)
    if node.op == "!=":
        return not _equal(left, right)
    # ordering of null or of different kinds is null in FEEL, which never hides
    if left is None or right is None or not _same_kind(left, right) or isinstance(left, bool | list):
        return None
    ops = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}
    return ops[node.op]
