"""Per-request work the app does only where it has something to do (issue 15).

Every API request ran every extension's hooks: Flask-Login's remember-cookie update (a
no-op without a cookie session, i.e. on every bearer-token call), Flask-Limiter's header
injection, conditional deductions and context reset (a no-op outside the few limited
endpoints), and Flask's check that each hook and the view is not a coroutine function.
Together about a tenth of a small API request's overhead (instructions counted under
callgrind, the five-step case of bench/http_api.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask


class ReliefFlask(Flask):
    """Flask, deciding once per view or hook that it is a plain function, not on every request."""

    # Functions made per request (`after_this_request` callbacks) would fill it: bounded.
    _SYNC_KEPT = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's `ensure_sync`, its answer kept for functions it returned unchanged."""
        try:
            if func in self._sync:
                return func
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)
        made = super().ensure_sync(func)
        if made is func and len(self._sync) < self._SYNC_KEPT:
            self._sync.add(func)
        return made


Gate = Callable[[], bool]


@contextmanager
def hooks_only_when(app: Flask, needed: Gate) -> Iterator[None]:
    """The after-request and teardown hooks an extension registers inside this block run
    only on requests where `needed()` says so (it runs inside the request context)."""
    after = list(app.after_request_funcs.get(None, []))
    teardown = list(app.teardown_request_funcs.get(None, []))
    yield
    app.after_request_funcs[None] = [hook if hook in after else _gated_after(hook, needed)
                                     for hook in app.after_request_funcs.get(None, [])]
    app.teardown_request_funcs[None] = [hook if hook in teardown else _gated_teardown(hook, needed)
                                        for hook in app.teardown_request_funcs.get(None, [])]


def _gated_after(hook: Callable[[Any], Any], needed: Gate) -> Callable[[Any], Any]:
    def after_when_needed(response: Any) -> Any:
        return hook(response) if needed() else response
    return after_when_needed


def _gated_teardown(hook: Callable[[Any], Any], needed: Gate) -> Callable[[Any], None]:
    def teardown_when_needed(error: Any) -> None:
        if needed():
            hook(error)
    return teardown_when_needed
