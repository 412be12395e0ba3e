"""Load and check form-js form definitions (X-FORMS).

A form is checked completely before it is used, and every problem is reported at
once, naming the file and the component (its key, id, or path such as
`components[3].components[0]`), so a designer can fix a form in one pass.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from engine.errors import DefinitionInvalid
from engine.forms.feel_subset import Condition, ConditionError, parse_condition
from engine.forms.patterns import PatternError, compile_pattern

MAX_FORM_BYTES = 1_000_000
MAX_GROUP_DEPTH = 8
MAX_JSON_DEPTH = 32  # the browser and the API serve the document as it is: deeper breaks them

TEXT_TYPES = frozenset({"textfield", "textarea"})
OPTION_TYPES = frozenset({"radio", "select"})
MULTI_OPTION_TYPES = frozenset({"checklist", "taglist"})
DATA_TYPES = TEXT_TYPES | OPTION_TYPES | MULTI_OPTION_TYPES | {"number", "checkbox", "datetime"}
DISPLAY_TYPES = frozenset({"text", "html", "spacer", "separator", "image", "button"})
UNSUPPORTED_TYPES = {
    "dynamiclist": "dynamic lists are not supported: case data is flat; use a textarea or several fields",
    "expression": "expression fields are not supported: the server would have to compute them",
    "filepicker": "file pickers are not supported: upload materials through the case archive",
    "iframe": "iframes are not supported: forms may not embed other sites",
    "table": "tables are not supported",
    "documentPreview": "document previews are not supported",
}
DATETIME_SUBTYPES = frozenset({"date", "time", "datetime"})
FORMATS = frozenset({"cn-id-number", "cn-mobile", "cn-phone"})
VALIDATION_TYPES = frozenset({"email", "phone"})
# case data is flat and read by restricted Python expressions, which forbid `_` names
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_VALIDATE_RULES = {
    "required": DATA_TYPES,
    "minLength": TEXT_TYPES,
    "maxLength": TEXT_TYPES,
    "pattern": TEXT_TYPES,
    "validationType": TEXT_TYPES,
    "min": frozenset({"number"}),
    "max": frozenset({"number"}),
}


@dataclass(frozen=True)
class FieldSpec:
    """One data-carrying component, with its rules in checked, typed form."""

    key: str
    type: str
    path: str
    label: str = ""
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    validation_type: str | None = None
    format: str | None = None
    subtype: str | None = None
    decimal_digits: int | None = None
    options: tuple[Any, ...] = ()
    readonly: bool = False
    hide: tuple[Condition, ...] = ()  # its own condition and its groups'; any true hides it


@dataclass(frozen=True, eq=False)
class FormDefinition:
    """A checked form: `fields` in document order, `raw` the JSON the browser renders.

    Compared by identity, so that compiled schemas can be cached per definition.
    """

    id: str
    file: str
    fields: tuple[FieldSpec, ...]
    raw: dict[str, Any] = field(repr=False)

    def get_field(self, key: str) -> FieldSpec | None:
        """The field with data key `key`, if the form has one."""
        return next((f for f in self.fields if f.key == key), None)


def form_data_keys(defn: FormDefinition) -> list[str]:
    """The data keys a submission of `defn` may carry, in document order."""
    return [f.key for f in defn.fields]


FormSource = Mapping[str, Any] | str | os.PathLike[str] | bytes


def load_form(source: FormSource, *, file: str | None = None) -> FormDefinition:
    """Load and check a form-js document given as a parsed dict, a file path, or raw bytes.

    `file` names the form in problems (default: the path, or "<form>"). Raises
    `DefinitionInvalid` with `details['problems']` listing every problem found.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        file = file or str(path)
        try:
            if path.stat().st_size > MAX_FORM_BYTES:
                _fail(file, [_problem(file, None, f"file is larger than {MAX_FORM_BYTES} bytes")])
            source = path.read_bytes()
        except OSError as err:
            _fail(file, [_problem(file, None, f"cannot read form file: {err.strerror or err}")])
    file = file or "<form>"
    if isinstance(source, bytes):
        source = _parse_json(source, file)
    if not isinstance(source, Mapping):
        _fail(file, [_problem(file, None, "a form must be a JSON object")])
    if _depth(source) > MAX_JSON_DEPTH:
        _fail(file, [_problem(file, None, f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")])
    return _Checker(file).check(dict(source))


def _depth(document: Any) -> int:
    """How deeply `document` nests objects and arrays (without recursion: it may be deep)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping | list):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:
                stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, Mapping) else value))
    return deepest


def _parse_json(content: bytes, file: str) -> Any:
    if len(content) > MAX_FORM_BYTES:
        _fail(file, [_problem(file, None, f"file is larger than {MAX_FORM_BYTES} bytes")])
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        _fail(file, [_problem(file, None, f"not valid JSON: {err}")])


def _problem(file: str, element: str | None, message: str) -> dict[str, Any]:
    return {"file": file, "element": element, "line": None, "message": message}


def _fail(file: str, problems: list[dict[str, Any]]) -> NoReturn:
    summary = "; ".join(f"{p['element']}: {p['message']}" if p["element"] else p["message"]
                        for p in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    raise DefinitionInvalid(f"{file}: invalid form: {summary}{more}", {"problems": problems})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[dict[str, Any]] = []
        self.fields: list[FieldSpec] = []
        self.keys: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def add(self, element: str | None, message: str) -> None:
        self.problems.append(_problem(self.file, element, message))

    def check(self, doc: dict[str, Any]) -> FormDefinition:
        components = doc.get("components")
        if not isinstance(components, list):
            self.add(None, "missing `components` list")
            components = []
        self.walk(components, "components", (), 0)
        if self.problems:
            _fail(self.file, self.problems)
        form_id = doc.get("id") if isinstance(doc.get("id"), str) and doc.get("id") else Path(self.file).stem
        return FormDefinition(form_id, self.file, tuple(self.fields), doc)

    def walk(self, components: list[Any], path: str, hide: tuple[Condition, ...], depth: int) -> None:
        for index, comp in enumerate(components):
            where = f"{path}[{index}]"
            if not isinstance(comp, dict):
                self.add(where, "a component must be a JSON object")
                continue
            self.component(comp, where, hide, depth)

    def component(self, comp: dict[str, Any], where: str, hide: tuple[Condition, ...], depth: int) -> None:
        ctype = comp.get("type")
        if not isinstance(ctype, str):  # (the sets below cannot even hold a list)
            ctype = repr(ctype)
        key = comp.get("key")
        cid = comp.get("id")
        element = key if isinstance(key, str) and key else cid if isinstance(cid, str) and cid else where
        if isinstance(cid, str) and cid:
            if cid in self.ids:
                self.add(element, f"duplicate component id '{cid}' (also at {self.ids[cid]})")
            self.ids[cid] = where
        condition = self.condition(comp, element)
        hide = hide + (condition,) if condition else hide
        if ctype == "group":
            if comp.get("path"):
                self.add(element, "groups with a `path` (nested data) are not supported; data is flat")
            if depth >= MAX_GROUP_DEPTH:
                self.add(element, f"groups are nested deeper than {MAX_GROUP_DEPTH} levels")
            elif not isinstance(comp.get("components"), list):
                self.add(element, "a group needs a `components` list")
            else:
                self.walk(comp["components"], f"{where}.components", hide, depth + 1)
        elif ctype in DISPLAY_TYPES:
            if ctype == "button" and comp.get("action", "submit") not in ("submit", "reset"):
                self.add(element, "a button's action must be 'submit' or 'reset'")
        elif ctype in UNSUPPORTED_TYPES:
            self.add(element, f"component type '{ctype}': {UNSUPPORTED_TYPES[ctype]}")
        elif ctype in DATA_TYPES:
            self.data_field(comp, ctype, element, where, hide)
        else:
            self.add(element, f"unknown component type {ctype!r}")

    def condition(self, comp: dict[str, Any], element: str) -> Condition | None:
        conditional = comp.get("conditional")
        if conditional is None:
            return None
        if not isinstance(conditional, dict) or set(conditional) - {"hide"}:
            self.add(element, "`conditional` must be an object with only `hide`")
            return None
        if conditional.get("hide") in (None, ""):
            return None
        try:
            return parse_condition(conditional["hide"])
        except ConditionError as err:
            self.add(element, f"unsupported conditional.hide {conditional['hide']!r}: {err}")
            return None

    def data_field(self, comp: dict[str, Any], ctype: str, element: str, where: str,
                   hide: tuple[Condition, ...]) -> None:
        key = comp.get("key")
        if not isinstance(key, str) or not key:
            self.add(element, f"a {ctype} component needs a `key`")
            return
        if _KEY.fullmatch(key) is None:
            self.add(element, "key must be a letter followed by letters, digits or _ (at most 64), "
                              "without dots: case data is flat")
            return
        if key in self.keys:
            self.add(element, f"duplicate key '{key}' (also at {self.keys[key]})")
            return
        self.keys[key] = where
        rules = self.validate(comp, ctype, element)
        properties = comp.get("properties") if isinstance(comp.get("properties"), dict) else {}
        fmt = properties.get("format")
        if fmt is not None and (ctype not in TEXT_TYPES or not isinstance(fmt, str) or fmt not in FORMATS):
            self.add(element, f"properties.format {fmt!r} is not supported here "
                              f"(text fields may use {', '.join(sorted(FORMATS))})")
        subtype = comp.get("subtype", "date") if ctype == "datetime" else None
        if ctype == "datetime" and (not isinstance(subtype, str) or subtype not in DATETIME_SUBTYPES):
            self.add(element, f"datetime subtype must be one of {', '.join(sorted(DATETIME_SUBTYPES))}")
        decimals = comp.get("decimalDigits") if ctype == "number" else None
        if decimals is not None and not (_is_number(decimals) and int(decimals) == decimals >= 0):
            self.add(element, "decimalDigits must be a non-negative integer")
            decimals = None
        readonly = False
        for flag in ("readonly", "disabled"):
            if comp.get(flag) not in (None, True, False):
                self.add(element, f"`{flag}` must be true or false (expressions are not supported)")
            readonly = readonly or comp.get(flag) is True
        self.fields.append(FieldSpec(
            key=key, type=ctype, path=where, label=str(comp.get("label") or ""),
            required=rules.get("required") is True, min_length=rules.get("minLength"),
            max_length=rules.get("maxLength"), minimum=rules.get("min"), maximum=rules.get("max"),
            pattern=rules.get("pattern"), validation_type=rules.get("validationType"),
            format=fmt if isinstance(fmt, str) and fmt in FORMATS else None, subtype=subtype,
            decimal_digits=int(decimals) if decimals is not None else None,
            options=self.options(comp, ctype, element), readonly=readonly, hide=hide,
        ))

    def validate(self, comp: dict[str, Any], ctype: str, element: str) -> dict[str, Any]:
        rules = comp.get("validate")
        if rules is None:
            return {}
        if not isinstance(rules, dict):
            self.add(element, "`validate` must be an object")
            return {}
        good: dict[str, Any] = {}
        for name, value in rules.items():
            if name not in _VALIDATE_RULES:
                self.add(element, f"unsupported validate rule '{name}'")
            elif ctype not in _VALIDATE_RULES[name]:
                self.add(element, f"validate.{name} does not apply to a {ctype}")
            elif self.rule_ok(name, value, element):
                good[name] = value
        if good.get("minLength", 0) > good.get("maxLength", float("inf")):
            self.add(element, "validate.minLength is greater than validate.maxLength")
        if good.get("min", float("-inf")) > good.get("max", float("inf")):
            self.add(element, "validate.min is greater than validate.max")
        return good

    def rule_ok(self, name: str, value: Any, element: str) -> bool:
        if name == "required":
            ok = isinstance(value, bool)
            wanted = "true or false"
        elif name in ("minLength", "maxLength"):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            wanted = "a non-negative integer"
        elif name in ("min", "max"):
            ok = _is_number(value) and value == value and abs(value) != float("inf")
            wanted = "a finite number"
        elif name == "validationType":
            ok = isinstance(value, str) and value in VALIDATION_TYPES
            wanted = " or ".join(sorted(VALIDATION_TYPES))
        else:
            return self.pattern_ok(value, element)
        if not ok:
            self.add(element, f"validate.{name} must be {wanted}, not {value!r}")
        return ok

    def pattern_ok(self, value: Any, element: str) -> bool:
        if not isinstance(value, str) or not value or len(value) > 500:
            self.add(element, "validate.pattern must be a non-empty string of at most 500 characters")
            return False
        try:
            compile_pattern(value)
        except PatternError as err:
            self.add(element, f"validate.pattern is not a valid regular expression for RE2 (the server's "
                              f"regex engine, which never backtracks): {err}")
            return False
        return True

    def options(self, comp: dict[str, Any], ctype: str, element: str) -> tuple[Any, ...]:
        if ctype not in OPTION_TYPES | MULTI_OPTION_TYPES:
            return ()
        if "valuesKey" in comp or "valuesExpression" in comp:
            self.add(element, f"{ctype} options must be static `values` (valuesKey/valuesExpression "
                              "cannot be checked on the server)")
            return ()
        values = comp.get("values")
        if not isinstance(values, list) or not values:
            self.add(element, f"a {ctype} needs a non-empty static `values` list")
            return ()
        found: list[Any] = []
        for index, entry in enumerate(values):
            value = entry.get("value") if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or not (isinstance(value, str | bool) or _is_number(value)):
                self.add(element, f"values[{index}] must be an object with a string, number or boolean "
                                  "`value`")
            elif any(type(value) is type(v) and value == v for v in found):
                self.add(element, f"values[{index}]: duplicate option value {value!r}")
            else:
                found.append(value)
        default = comp.get("defaultValue")
        if ctype in OPTION_TYPES and default is not None and default not in found:
            self.add(element, f"defaultValue {default!r} is not one of the options")
        return tuple(found)
