"""marshmallow fields for form-js values, and the messages a submitter sees.

Every field converts what the browser sends into the value stored in the case data
and refuses anything else with a short bilingual message; `None` means "empty" and
is handled by the schema (required / optional), never here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, fields

REQUIRED = "必填 (required)"
MUST_CHECK = "必须勾选 (must be checked)"
UNKNOWN = "未知字段 (unknown field)"
READONLY = "只读字段，不可提交 (read-only field, may not be submitted)"
NOT_OBJECT = "提交内容应为对象 (submission must be a JSON object)"
NOT_OPTION = "不是可选项 (not one of the options)"

MAX_NUMBER = 1e15  # beyond this a float no longer holds every integer exactly
MAX_LIST_ITEMS = 1000

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def fail(message: str) -> ValidationError:
    """A field error with `message` (raise it)."""
    return ValidationError(message)


class Text(fields.Field):
    """A string, passed through `normalise` (e.g. upper-casing an ID number's x)."""

    def __init__(self, normalise: Callable[[str], str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.normalise = normalise

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise fail("应为文本 (must be text)")
        return self.normalise(value) if self.normalise else value


class Number(fields.Field):
    """A JSON number or numeric string → int when whole, else float."""

    def __init__(self, decimal_digits: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.decimal_digits = decimal_digits

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | float:
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            text = value.strip()
            value = float(text) if "." in text else int(text) if len(text) < 20 else float(text)
        # bool is an int subclass: true/false are not numbers here
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail("应为数字 (must be a number)")
        if math.isnan(value) or abs(value) > MAX_NUMBER:
            raise fail("数值无效或过大 (invalid or too large number)")
        if self.decimal_digits is not None and round(value, self.decimal_digits) != value:
            raise fail(f"最多 {self.decimal_digits} 位小数 (at most {self.decimal_digits} decimal places)")
        return int(value) if float(value).is_integer() else float(value)


class Checkbox(fields.Field):
    """true/false (also the strings "true"/"false", as some clients send them)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value == "true":
            return True
        if value is False or value == "false":
            return False
        raise fail("应为是/否 (must be true or false)")


def _is_option(value: Any, options: tuple[Any, ...]) -> bool:
    # type-aware: the option "1" is not the number 1, and true is not 1
    return any(type(value) is type(o) and value == o for o in options)


class Choice(fields.Field):
    """One of the static option values of a radio or select."""

    def __init__(self, options: tuple[Any, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options = options

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not _is_option(value, self.options):
            raise fail(NOT_OPTION)
        return value


class MultiChoice(fields.Field):
    """A list of option values (checklist, taglist); duplicates collapse, order is kept."""

    def __init__(self, options: tuple[Any, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options = options

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
            raise fail("应为选项列表 (must be a list of options)")
        bad = [item for item in value if not _is_option(item, self.options)]
        if bad:
            shown = ", ".join(repr(item)[:40] for item in bad[:5])
            raise fail(f"{NOT_OPTION}: {shown}")
        out: list[Any] = []
        for item in value:
            if not _is_option(item, tuple(out)):
                out.append(item)
        return out


class DateTime(fields.Field):
    """A form-js datetime value, by subtype, kept as a normalised ISO string.

    date → `YYYY-MM-DD`; time → `HH:MM[:SS][offset]`; datetime → `YYYY-MM-DDTHH:MM[:SS][offset]`.
    """

    _MESSAGES = {
        "date": "日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD)",
        "time": "时间格式应为 HH:MM (time must be HH:MM)",
        "datetime": "日期时间格式应为 YYYY-MM-DDTHH:MM (must be YYYY-MM-DDTHH:MM)",
    }

    def __init__(self, subtype: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subtype = subtype

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            if isinstance(value, str):
                return self._parse(value.strip())
        except ValueError:
            pass
        raise fail(self._MESSAGES[self.subtype])

    def _parse(self, text: str) -> str:
        # strict shapes first: fromisoformat alone would also take e.g. "20240101"
        if self.subtype == "date":
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            return dt.date.fromisoformat(text).isoformat()
        if self.subtype == "time":
            if not _TIME.fullmatch(text):
                raise ValueError(text)
            return _iso(dt.time.fromisoformat(text))
        day, sep, clock = text.partition("T")
        if not sep or not _DATE.fullmatch(day) or not _TIME.fullmatch(clock):
            raise ValueError(text)
        return _iso(dt.datetime.fromisoformat(text))


def _iso(value: dt.time | dt.datetime) -> str:
    spec = "minutes" if value.second == 0 and value.microsecond == 0 else "seconds"
    return value.isoformat(timespec=spec)
