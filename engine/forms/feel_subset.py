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

import math
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
        """True when form-js would hide the field for `data` (names missing are null).

        form-js evaluates a hide condition as FEEL *unary tests* against a null input and
        hides only on `true`: a top-level `not(...)` negates the test, and a result that is
        null (e.g. `size > 3` while size is empty) matches the null input, so it hides."""
        if isinstance(self.tree, _Not):
            return not _matches_null(_eval(self.tree.operand, data))
        return _matches_null(_eval(self.tree, data))


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
            right = self.operand()
            if tok[1] not in ("=", "!=") and any(
                    isinstance(side, _Lit) and _kind(side.value) != "number" for side in (left, right)):
                # form-js orders strings by character ranges and fails on booleans: only
                # numbers order the same in the browser and here.
                raise ConditionError(f"{tok[1]} compares numbers only")
            return _Cmp(tok[1], left, right)
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


def _kind(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "context"
    return "other"


def _same(a: Any, b: Any) -> bool:
    """JavaScript's `===` on data values: a boolean is never a number, lists are never equal."""
    if _kind(a) in ("boolean", "number", "string"):
        return _kind(a) == _kind(b) and a == b
    return a is b


def _equals(a: Any, b: Any) -> bool | None:
    """FEEL `=` as form-js computes it: null only equals null, a list of at most one item
    stands for that item, and values of different kinds compare to null (not false)."""
    if (a is None) != (b is None):
        return False
    if isinstance(a, list | tuple) and len(a) < 2:
        a = a[0] if a else None
    if isinstance(b, list | tuple) and len(b) < 2:
        b = b[0] if b else None
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return None
    if ka == "nil":
        return True
    if ka == "list":
        return len(a) == len(b) and all(_equals(x, y) for x, y in zip(a, b, strict=True))
    if ka == "context":
        return len(a) == len(b) and all(k in b and _equals(v, b[k]) for k, v in a.items())
    return a == b


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


# FEEL's three-valued `and` and `or`: anything not a boolean counts as null.
def _and(left: Any, right: Any) -> bool | None:
    a, b = _boolean(left), _boolean(right)
    if a is False or b is False:
        return False
    return True if a is True and b is True else None


def _or(left: Any, right: Any) -> bool | None:
    a, b = _boolean(left), _boolean(right)
    if a is True or b is True:
        return True
    return False if a is False and b is False else None


def _eval(node: Node, data: Mapping[str, Any]) -> Any:
    """The FEEL value of `node` (a boolean, null or a data value), as form-js computes it."""
    if isinstance(node, _Lit):
        return node.value
    if isinstance(node, _Name):
        return data.get(node.name)
    if isinstance(node, _Not):  # the function not(): null for anything but a boolean
        value = _eval(node.operand, data)
        return not value if isinstance(value, bool) else None
    if isinstance(node, _Bool):
        left, right = _eval(node.left, data), _eval(node.right, data)
        return _and(left, right) if node.op == "and" else _or(left, right)
    if isinstance(node, _Contains):
        haystack = _eval(node.haystack, data)
        if haystack is None:
            return None
        items = haystack if isinstance(haystack, list | tuple) else [haystack]
        needle = _eval(node.needle, data)
        return any(_same(item, needle) for item in items)
    left, right = _eval(node.left, data), _eval(node.right, data)
    if node.op == "=":
        return _equals(left, right)
    if node.op == "!=":
        return _equals(left, right) is not True  # JavaScript's !null is true
    # form-js turns `x > 3` into the range (3..) and asks whether it includes x: null is
    # null, and any other x is compared the JavaScript way (a text "9" as the number 9).
    # The parser allows number literals only; a bound that is not a number orders to null.
    if left is None or _kind(right) != "number":
        return None
    number = _js_number(left)
    if math.isnan(number):
        return False
    ops = {"<": number < right, "<=": number <= right, ">": number > right, ">=": number >= right}
    return ops[node.op]


_JS_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Infinity)")


def _js_number(value: Any) -> float:
    """JavaScript's ToNumber for data values (what `<` does to a non-number)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip(" \t\n\r\x0b\x0c\u00a0\ufeff")
        if text == "":
            return 0.0
        return float(text) if _JS_NUMERIC.fullmatch(text) else math.nan
    if isinstance(value, list | tuple):  # through its text: [3] is "3", [] and [null] are ""
        if len(value) > 1:
            return math.nan
        item = value[0] if value else None
        if item is None:
            return 0.0
        return _js_number("true" if item is True else "false" if item is False else item)
    return math.nan


def _matches_null(value: Any) -> bool:
    """Whether `value`, taken as a unary test, accepts form-js' input value (null): a
    boolean is itself, a list tests membership of null, anything else equality with null."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple):
        return any(item is None for item in value)
    return value is None
