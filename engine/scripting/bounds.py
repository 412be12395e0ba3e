"""Bounds on designer code: steps, time, sizes, call depth and memory, per evaluation and
per command.

The restricted compiler (`instrument.py`) rewrites designer code so that every loop
iteration, comprehension item and function call takes a step from a `Budget`, and so that
the operations that can make a huge object in one go (`*`, `+`, `<<`, `%`, width and
precision in f-strings, a few str/list methods) check the size of their result before
they make it. A budget belongs to one evaluation; the executor opens a command budget
around each command (`command_budget`) that all the command's evaluations draw from, so
a multi-instance activity or a loop of sub-processes cannot add up to a hang either.

Whatever bound is hit raises `EvaluationLimit` naming it; SpiffWorkflow wraps it and the
executor turns it into a 422 naming the BPMN element (or an incident for timers and jobs).
The defaults are documented for designers in docs/MODELLING.md, "Limits on designer code".
"""

from __future__ import annotations

import contextvars
import os
import re
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial, wraps
from types import CodeType
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr

from engine.errors import EvaluationLimit, ScriptRejected


@dataclass(frozen=True)
class Limits:
    """The bounds; `Engine(limits=...)` or `RELIEF_MAX_INSTANCES` change them."""

    steps: int = 100_000  # loop iterations + comprehension items + function calls, one evaluation
    command_steps: int = 1_000_000  # the same, all evaluations of one command together
    seconds: float = 1.0  # processor time of one evaluation (a safety net behind `steps`)
    command_seconds: float = 2.0  # of one command together (its thread's processor time: _cpu_now)
    max_length: int = 100_000  # characters of a string, items of a list, tuple, dict or set
    max_int_bits: int = 16_384  # about 4,900 decimal digits (int("9" * 4300) still fits)
    max_call_depth: int = 50  # nested calls of functions the designer defined
    memory_mb: int = 256  # growth of the process's memory while one evaluation runs
    max_data_depth: int = 32  # nesting of the values a script leaves in the case data
    max_data_items: int = 1_000_000  # values in the case data after a script
    max_instances: int = 1_000  # instances of one multi-instance activity
    max_working_days: int = 1_000  # n of add_working_days (statutory limits are ≤ 90)
    max_calendar_days: int = 3_660  # |n| of add_calendar_days (ten years)


DEFAULT_LIMITS = Limits()
_SEQUENCES = (str, bytes, list, tuple)
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_MEMORY_EVERY = 1024  # steps between two memory checks (and after each big result)
_CLOCK_EVERY = 32  # steps between two clock checks: one step's work is bounded by the sizes
_BIG = 65_536  # a result this long triggers a memory check at once
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PERCENT_SPEC = re.compile(rb"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _cpu_now() -> float:
    """The processor time of this thread. Time bounds count it, not the wall clock: a command
    that waits for the database, the GIL or a busy machine (several app processes on a few
    cores, issue 15) has spent no designer time waiting, and must not be refused for it;
    a loop that computes spends this thread's processor time and is still stopped."""
    return time.thread_time()


def _rss() -> int:
    """Resident memory of the process in bytes (peak on systems without /proc)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class CommandBudget:
    """What the evaluations of one command may still spend together."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.steps_left = limits.command_steps
        self.deadline = _cpu_now() + limits.command_seconds


_command: contextvars.ContextVar[CommandBudget | None] = contextvars.ContextVar("relief_command_budget",
                                                                              default=None)


@contextmanager
def command_budget(limits: Limits | None = None) -> Iterator[CommandBudget]:
    """Let every evaluation in the block draw from one budget of `limits` (a command)."""
    budget = CommandBudget(limits or DEFAULT_LIMITS)
    token = _command.set(budget)
    try:
        yield budget
    finally:
        _command.reset(token)


def current_limits() -> Limits:
    """The limits of the running command (the defaults outside one)."""
    budget = _command.get()
    return budget.limits if budget is not None else DEFAULT_LIMITS


def limit(name: str, bound: Any, message: str) -> EvaluationLimit:
    """The error for bound `name` (value `bound`) with a message a designer can act on."""
    return EvaluationLimit(message, {"limit": name, "bound": bound})


class Budget:
    """The spending of one evaluation. Its bound methods are the guards the instrumented
    code calls (`guards()`), so an evaluation never touches another one's counters."""

    def __init__(self) -> None:
        self.command = _command.get()
        self.limits = limits = self.command.limits if self.command else DEFAULT_LIMITS
        now = _cpu_now()
        self.steps = 0
        self.step_limit, self.step_owner = limits.steps, "one evaluation"
        self.deadline, self.time_owner = now + limits.seconds, "one evaluation"
        if self.command is not None:
            if self.command.steps_left < self.step_limit:
                self.step_limit, self.step_owner = max(self.command.steps_left, 0), "one command"
            if self.command.deadline < self.deadline:
                self.deadline, self.time_owner = self.command.deadline, "one command"
        if self.command is not None:
            # Every evaluation is at least one step of its command and checks the command's
            # clock: a cycle of script tasks and conditions has no loop of its own to count.
            if self.command.steps_left <= 0:
                raise limit("steps", limits.command_steps, f"designer code ran more than {limits.command_steps} "
                                                           "steps (loop iterations, function calls and "
                                                           "evaluations) in one command")
            if now > self.command.deadline:
                raise limit("seconds", limits.command_seconds,
                            f"designer code ran longer than {limits.command_seconds} s in one command")
        self.depth = 0
        self.rss_start: int | None = None  # taken at the first step or big result: most evaluations take none

    def close(self) -> None:
        """Charge this evaluation's steps (at least one) to its command."""
        if self.command is not None:
            self.command.steps_left -= max(self.steps, 1)

    # steps, time and memory -------------------------------------------------
    def step(self) -> None:
        self.steps += 1
        if self.steps > self.step_limit:
            bound = self.limits.steps if self.step_owner == "one evaluation" else self.limits.command_steps
            raise limit("steps", bound, f"designer code ran more than {bound} steps (loop iterations and "
                                        f"function calls) in {self.step_owner}")
        if self.steps == 1 and self.rss_start is None:
            self.rss_start = _rss()
        elif not self.steps % _CLOCK_EVERY:
            self.check_clock()
            if not self.steps % _MEMORY_EVERY:
                self.check_memory()

    def check_clock(self) -> None:
        if _cpu_now() > self.deadline:
            bound = self.limits.seconds if self.time_owner == "one evaluation" else self.limits.command_seconds
            raise limit("seconds", bound, f"designer code ran longer than {bound} s in {self.time_owner}")

    def check_memory(self) -> None:
        if self.rss_start is None:
            self.rss_start = _rss()
            return
        grown = _rss() - self.rss_start
        if grown > self.limits.memory_mb * 1024 * 1024:
            raise limit("memory_mb", self.limits.memory_mb,
                        f"designer code used more than {self.limits.memory_mb} MB of memory")

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """`_getiter_`: every item of a loop or comprehension is a step."""
        step = self.step
        for item in iterable:
            step()
            yield item

    def function(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`_guard_function_`: a designer's function (def or lambda) counts calls and depth."""

        @wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.step()
            if self.depth >= self.limits.max_call_depth:
                raise limit("max_call_depth", self.limits.max_call_depth,
                            f"designer functions nested more than {self.limits.max_call_depth} calls deep")
            # No try/finally: designer code cannot catch an exception, so one that passes here
            # ends the whole evaluation (and its budget). Both this and the plain call without
            # keywords measured several times faster in deep recursion.
            self.depth += 1
            result = fn(*args, **kwargs) if kwargs else fn(*args)
            self.depth -= 1
            return result

        return guarded

    # sizes -----------------------------------------------------------------------
    def too_long(self, size: int) -> EvaluationLimit:
        return limit("max_length", self.limits.max_length,
                     f"a string or collection would hold {size} characters or items; at most "
                     f"{self.limits.max_length} are allowed")

    def too_big(self) -> EvaluationLimit:
        return limit("max_int_bits", self.limits.max_int_bits,
                     f"an integer would have more than {self.limits.max_int_bits} bits")

    def sized(self, value: Any) -> Any:
        """`value` if its size is within the bounds (a result already made, small growth)."""
        if isinstance(value, _SIZED):
            if len(value) > self.limits.max_length:
                raise self.too_long(len(value))
            if len(value) >= _BIG:
                self.check_memory()
        elif isinstance(value, int) and value.bit_length() > self.limits.max_int_bits:
            raise self.too_big()
        return value

    def want(self, size: int) -> None:
        """Refuse before making a result of `size` items."""
        if size > self.limits.max_length:
            raise self.too_long(size)

    def mul(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > self.limits.max_int_bits:
                raise self.too_big()
        elif isinstance(a, _SEQUENCES) and isinstance(b, int):
            self.want(len(a) * max(b, 0))
        elif isinstance(b, _SEQUENCES) and isinstance(a, int):
            self.want(len(b) * max(a, 0))
        return self.sized(a * b)

    def add(self, a: Any, b: Any) -> Any:
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            self.want(len(a) + len(b))
        return self.sized(a + b)

    def sub(self, a: Any, b: Any) -> Any:
        return self.sized(a - b)

    def lshift(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and a and a.bit_length() + b > self.limits.max_int_bits:
            raise self.too_big()
        return self.sized(a << b)

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, (str, bytes)):
            # %-formatting: a width or precision makes a string of that length
            text = a.encode("utf-8", "surrogatepass") if isinstance(a, str) else a
            for width, precision in _PERCENT_SPEC.findall(text):
                for number in (width, precision):
                    if number == b"*":
                        raise ScriptRejected("'*' widths in %-formatting are not allowed")
                    if number:
                        self.want(int(number[:12]))
        return self.sized(a % b)

    def inplace(self, op: str, a: Any, b: Any) -> Any:
        """`_inplacevar_` for `x += y` and its kind."""
        ops = {"+=": self.add, "-=": self.sub, "*=": self.mul, "%=": self.mod,
               "/=": lambda x, y: x / y, "//=": lambda x, y: x // y}
        if op not in ops:
            raise ScriptRejected(f"operator {op} is not allowed")
        return ops[op](a, b)

    def format(self, value: Any, conversion: int, spec: str) -> str:
        """An f-string field with a format spec (`f"{x:>10}"`): width and precision bounded."""
        for number in re.findall(r"\d+", spec):
            self.want(int(number[:12]))
        if conversion == ord("s"):
            value = str(value)
        elif conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("a"):
            value = ascii(value)
        return self.sized(format(value, spec))

    # attributes: methods that can make a huge string or list in one call ----------------
    def getattr(self, obj: Any, name: str, default: Any = None) -> Any:
        """`_getattr_`: RestrictedPython's, with the growing methods of str/bytes/list/
        dict/set wrapped so that they check the size first."""
        value = safer_getattr(obj, name)
        guard = _METHOD_GUARDS.get((type(obj), name))
        return value if guard is None else partial(guard, self, obj, value)

    def guards(self, names: Iterable[str] = ()) -> dict[str, Any]:
        """The guards `names` (of GUARD_NAMES) bound to this budget: only those a piece of
        code calls (`guards_used`); most conditions call none."""
        return {name: getattr(self, _GUARD_METHODS[name]) for name in names}


def guards_used(code: CodeType) -> tuple[str, ...]:
    """The budget's guards that `code` (with the functions and comprehensions in it) calls."""
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(c for c in current.co_consts if isinstance(c, CodeType))
    return tuple(sorted(names & GUARD_NAMES))


_GUARD_METHODS = {
    "_getiter_": "iterate", "_guard_function_": "function", "_getattr_": "getattr", "_format_": "format",
    "_mul_": "mul", "_add_": "add", "_sub_": "sub", "_lshift_": "lshift", "_mod_": "mod", "_inplacevar_": "inplace",
}
GUARD_NAMES = frozenset(_GUARD_METHODS)


def iter_unpack(it: Iterable[Any], spec: Any, getiter: Callable[[Any], Iterator[Any]]) -> Any:
    """`_iter_unpack_sequence_`: the loop steps through `getiter` (the budget's); unpacking
    one item (`for a, b in pairs`) does not step."""
    return guarded_iter_unpack_sequence(getiter(it), spec, iter)


def unpack(ob: Any, spec: Any, _getiter: Any) -> Any:
    """`_unpack_sequence_` (`a, b = pair`), without steps."""
    return guarded_unpack_sequence(ob, spec, iter)


def _width(budget: Budget, obj: Any, method: Callable[..., Any], width: Any = 0, *rest: Any) -> Any:
    if isinstance(width, int):
        budget.want(width)
    return method(width, *rest)


def _expandtabs(budget: Budget, obj: Any, method: Callable[..., Any], tabsize: Any = 8) -> Any:
    if isinstance(tabsize, int):
        budget.want(len(obj) + obj.count("\t" if isinstance(obj, str) else b"\t") * max(tabsize, 0))
    return method(tabsize)


def _replace(budget: Budget, obj: Any, method: Callable[..., Any], old: Any, new: Any, count: Any = -1) -> Any:
    if isinstance(old, type(obj)) and isinstance(new, type(obj)) and isinstance(count, int):
        times = obj.count(old) if old else len(obj) + 1
        if count >= 0:
            times = min(times, count)
        budget.want(len(obj) + times * (len(new) - len(old)))
    return budget.sized(method(old, new, count))


def _join(budget: Budget, obj: Any, method: Callable[..., Any], iterable: Any) -> Any:
    items = list(iterable)
    budget.want(len(obj) * max(len(items) - 1, 0)
                + sum(len(i) for i in items if isinstance(i, (str, bytes))))
    return budget.sized(method(items))


def _translate(budget: Budget, obj: Any, method: Callable[..., Any], table: Any) -> Any:
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        budget.want(len(obj) * max(longest, 1))
    return budget.sized(method(table))


def _grows(budget: Budget, obj: Any, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    # In-place growth (list.extend(l) doubles l): check what is added first when it has a
    # size, and the container afterwards.
    if method.__name__ in ("extend", "update") and args and isinstance(args[0], _SIZED):
        budget.want(len(obj) + len(args[0]))
    result = method(*args, **kwargs)
    budget.sized(obj)
    return result


_METHOD_GUARDS: dict[tuple[type, str], Callable[..., Any]] = {}
for _type in (str, bytes):
    for _name in ("ljust", "rjust", "center", "zfill"):
        _METHOD_GUARDS[(_type, _name)] = _width
    _METHOD_GUARDS[(_type, "expandtabs")] = _expandtabs
    _METHOD_GUARDS[(_type, "replace")] = _replace
    _METHOD_GUARDS[(_type, "join")] = _join
_METHOD_GUARDS[(str, "translate")] = _translate
for _type, _names in ((list, ("append", "extend", "insert")), (dict, ("update", "setdefault")),
                      (set, ("add", "update"))):
    for _name in _names:
        _METHOD_GUARDS[(_type, _name)] = _grows
