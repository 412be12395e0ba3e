"""Form `validate.pattern` regexes, run by RE2: linear time whatever the pattern or input.

Python's `re` backtracks: `(a+)+$` against 34 `a` and a `!` takes minutes and holds the
GIL, so one submission froze every request. RE2 never backtracks; what it cannot compile
(back-references, look-around, repetition counts over 1000) is refused at deploy, naming
the form and the field. (The browser's form-js runs the same pattern as a JS regex.)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the refusal reaches the designer; no stderr noise
_OPTIONS.max_mem = 8 << 20  # a pattern needing more automaton than this is refused


class PatternError(ValueError):
    """The pattern cannot be compiled by RE2; the message says why."""


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern, or PatternError."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as err:
        reason = err.args[0] if err.args else err
        raise PatternError(reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)) from None


def full_match(pattern: str, value: str) -> bool:
    """Whether all of `value` matches `pattern` (as form-js' `^(?:pattern)$`)."""
    return compile_pattern(pattern).fullmatch(value) is not None
