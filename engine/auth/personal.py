"""Personal data in case data, task data and history: find it and mask it (J-SEC).

A value is personal when its key names an ID number or a phone (`applicant_id_number`,
`id_number`, `applicant_phone`, `contact_phone`, `id_numbers`, …), at any depth: the
household members a data-platform job returns sit in lists inside dicts. Masking keeps
what a person needs to recognise a record (ID number: first 6 and last 4; phone: first 3
and last 4) and hides the rest."""

from __future__ import annotations

import re
from typing import Any

from engine.forms.validators import mask_id_number, mask_phone

_ID_KEY = re.compile(r"id_numbers?$")
_PHONE_KEY = re.compile(r"(phone|mobile)s?$")


def _masker(key: Any) -> Any:
    if not isinstance(key, str):
        return None
    name = key.lower()
    if _ID_KEY.search(name):
        return mask_id_number
    if _PHONE_KEY.search(name):
        return mask_phone
    return None


def masked(value: Any) -> Any:
    """A copy of `value` (dicts and lists, at any depth) with every ID number and phone masked."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            mask = _masker(key)
            out[key] = _apply(mask, item) if mask else masked(item)
        return out
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def _apply(mask: Any, value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [_apply(mask, v) for v in value]
    return masked(value)


def personal_keys(value: Any) -> list[str]:
    """The keys under which `value` holds ID numbers or phones (at any depth), sorted:
    what an access-log entry says was seen in full."""
    found: set[str] = set()
    _collect(value, found)
    return sorted(found)


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if _masker(key) and _has_text(item):
                found.add(key)
            else:
                _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _has_text(value: Any) -> bool:
    return (isinstance(value, str) and value != "") or (isinstance(value, list) and any(map(_has_text, value)))
