"""Form fields drawn once per distinct state and kept: the work list's filters are the same
seven fields on every view (label, hint, options, chosen value), and drawing them through
the `field` macro — WTForms' widgets, some sixty options — was a tenth of the page's
server time (issue 15). The kept HTML is keyed by everything the macro reads of a field
(its name and id, label, hint, flags, errors, value, choices and their labels) and the
language, so a different filter, user's stage choices or language draws anew."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from flask import get_template_attribute
from flask_babel import get_locale
from flask_babel.speaklater import LazyString
from markupsafe import Markup
from wtforms import Field

LIMIT = 512  # kept drawings (a few KB each); all dropped when full
_DRAWN: dict[tuple[Any, ...], Markup] = {}
_LOCK = threading.Lock()
_LINE = Markup("\n  ")  # between two fields: the template's line break and indent


def _text(value: object) -> object:
    """A label or hint as a key: a lazy text by its message and variables (not translated)."""
    if isinstance(value, LazyString):
        return ("lazy", value._func, value._args, tuple(sorted(value._kwargs.items())))  # noqa: SLF001
    return value if value is None or isinstance(value, str | int | float | bool) else ("other", str(value))


def _choice(choice: object) -> object:
    if isinstance(choice, tuple):
        return tuple(_text(part) for part in choice)
    return (getattr(choice, "value", None), _text(getattr(choice, "label", None)),
            tuple(sorted((k, _text(v)) for k, v in (getattr(choice, "render_kw", None) or {}).items())),
            getattr(choice, "optgroup", None))


def _key(f: Field) -> tuple[Any, ...]:
    """What the `field` macro and the field's widget read of `f`."""
    choices = getattr(f, "choices", None)
    return (type(f), type(f.widget), f.name, f.id, _text(f.label.text), _text(f.description),
            tuple(sorted(vars(f.flags).items())), tuple(map(str, f.errors)), repr(f.data),
            repr(getattr(f, "raw_data", None)), tuple(sorted((k, _text(v)) for k, v in (f.render_kw or {}).items())),
            None if choices is None else tuple(_choice(c) for c in choices))


def fields(form_fields: Sequence[Field]) -> Markup:
    """`{{ field(f) }}` (parts/form.html) of each of `form_fields`, one per line as the
    template wrote them, drawn once per distinct state and language."""
    key = (str(get_locale()), tuple(_key(f) for f in form_fields))
    drawn = _DRAWN.get(key)
    if drawn is None:
        field = get_template_attribute("parts/form.html", "field")
        drawn = _LINE.join(field(f) for f in form_fields)
        with _LOCK:
            if len(_DRAWN) >= LIMIT:
                _DRAWN.clear()
            _DRAWN[key] = drawn
    return drawn
