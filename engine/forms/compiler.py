"""Compile a checked form to a marshmallow schema and validate submissions (X-FORMS).

The browser validates with form-js, but only the server's verdict counts: every
submission is loaded through the schema compiled from the very same definition.
Field classes do the type conversion and per-value rules; the schema's hooks do
what depends on the whole submission: hide conditions, required, read-only fields.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, post_load, pre_load, validates_schema
from marshmallow import fields as ma_fields

from engine.errors import ValidationFailed
from engine.forms import fields as ff
from engine.forms.definition import MULTI_OPTION_TYPES, OPTION_TYPES, TEXT_TYPES, FieldSpec, FormDefinition
from engine.forms.patterns import compile_pattern
from engine.forms.validators import (
    is_valid_cn_id_number,
    is_valid_cn_mobile,
    is_valid_cn_phone,
    is_valid_email,
    normalise_cn_id_number,
    normalise_cn_mobile,
    normalise_cn_phone,
)

DEFAULT_MAX_TEXT = 10_000  # a text field without maxLength still may not fill the case store

_cache: weakref.WeakKeyDictionary[FormDefinition, type[Schema]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()
# One schema object per form class and thread, reused by `validate_submission`: building a
# marshmallow schema deep-copies all its fields, measured at two thirds of a validation.
_reused = threading.local()

Validator = Callable[[Any], None]


class FormSchema(Schema):
    """Base of compiled form schemas; `form` is the definition it was compiled from.

    Data keys are mapped to attributes `f0`, `f1`, ... so that a form key such as
    `fields` or `load` cannot clash with the Schema's own attributes.
    """

    class Meta:
        unknown = RAISE

    error_messages: ClassVar[dict[str, str]] = {"unknown": ff.UNKNOWN, "type": ff.NOT_OBJECT}
    form: ClassVar[FormDefinition]
    attr_of: ClassVar[dict[str, str]]

    def __init__(self, *, context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        """`context`: case data that hide conditions may read besides the submission."""
        super().__init__(**kwargs)
        self.condition_context = dict(context or {})
        self.pending: dict[str, list[str]] = {}

    @pre_load
    def _apply_form_rules(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        partial = kwargs.get("partial")
        data = dict(data)
        self.pending = {}
        for spec in self.form.fields:
            if spec.readonly and spec.key in data:
                self.pending[spec.key] = [ff.READONLY]
                del data[spec.key]
            elif spec.type not in TEXT_TYPES and data.get(spec.key) == "":
                data[spec.key] = None  # an emptied number/date/select arrives as ""
        hidden = self.hidden_keys(data)
        for spec in self.form.fields:
            if spec.key in hidden:
                data.pop(spec.key, None)  # form-js drops hidden values; so does the server
            elif spec.required and not spec.readonly and not _may_be_missing(spec.key, partial) \
                    and _is_empty(spec, data.get(spec.key)):
                self.pending[spec.key] = [ff.MUST_CHECK if spec.type == "checkbox" else ff.REQUIRED]
                data.pop(spec.key, None)
        return data

    def hidden_keys(self, data: Mapping[str, Any]) -> set[str]:
        """Keys whose hide condition (or a group's) holds for `data` over the context."""
        values = dict(self.condition_context)
        for spec in self.form.fields:
            if spec.key in data:
                values[spec.key] = self._converted(spec, data[spec.key])
        return {spec.key for spec in self.form.fields if any(c.evaluate(values) for c in spec.hide)}

    def _converted(self, spec: FieldSpec, raw: Any) -> Any:
        # conditions compare typed values (`=size > 3`); an invalid value is compared as sent
        try:
            return self.fields[self.attr_of[spec.key]].deserialize(raw)
        except ValidationError:
            return raw

    @validates_schema(skip_on_field_errors=False)
    def _report_form_rules(self, data: dict[str, Any], **kwargs: Any) -> None:
        if self.pending:
            raise ValidationError(dict(self.pending))

    @post_load
    def _to_data_keys(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        key_of = {attr: key for key, attr in self.attr_of.items()}
        return {key_of[attr]: value for attr, value in data.items()}


def _may_be_missing(key: str, partial: bool | Collection[str] | None) -> bool:
    if isinstance(partial, bool) or partial is None:
        return bool(partial)
    return key in partial


def _is_empty(spec: FieldSpec, value: Any) -> bool:
    if value is None or value == []:
        return True
    if isinstance(value, str) and not value.strip():
        return True
    return spec.type == "checkbox" and value in (False, "false")


def _skip_empty(check: Callable[[Any], None]) -> Validator:
    # form-js applies length, pattern and format rules only to a value that is there
    def run(value: Any) -> None:
        if value not in ("", None):
            check(value)

    return run


def _text_validators(spec: FieldSpec) -> list[Validator]:
    out: list[Validator] = []

    def lengths(value: str) -> None:
        # form-js counts the trimmed text
        size = len(value.strip())
        if spec.min_length is not None and size < spec.min_length:
            raise ff.fail(f"至少 {spec.min_length} 个字符 (at least {spec.min_length} characters)")
        limit = spec.max_length if spec.max_length is not None else DEFAULT_MAX_TEXT
        if size > limit:
            raise ff.fail(f"最多 {limit} 个字符 (at most {limit} characters)")

    out.append(_skip_empty(lengths))
    if spec.pattern is not None:
        compiled = compile_pattern(spec.pattern)

        def pattern(value: str) -> None:
            if compiled.fullmatch(value) is None:
                raise ff.fail("格式不正确 (does not match the required pattern)")

        out.append(_skip_empty(pattern))
    checks: list[tuple[Callable[[str], bool], str]] = []
    if spec.validation_type == "email":
        checks.append((is_valid_email, "邮箱地址无效 (invalid e-mail address)"))
    if spec.validation_type == "phone" or spec.format == "cn-mobile":
        checks.append((is_valid_cn_mobile, "手机号码无效 (invalid mobile number)"))
    if spec.format == "cn-phone":
        checks.append((is_valid_cn_phone, "电话号码无效：手机号或带区号的固定电话 (invalid phone number)"))
    if spec.format == "cn-id-number":
        checks.append((is_valid_cn_id_number, "公民身份号码无效 (invalid resident ID number)"))
    for predicate, message in checks:
        out.append(_skip_empty(_predicate_check(predicate, message)))
    return out


def _predicate_check(predicate: Callable[[str], bool], message: str) -> Validator:
    def check(value: str) -> None:
        if not predicate(value):
            raise ff.fail(message)

    return check


def _number_validators(spec: FieldSpec) -> list[Validator]:
    def bounds(value: float) -> None:
        if spec.minimum is not None and value < spec.minimum:
            raise ff.fail(f"不能小于 {spec.minimum:g} (must be at least {spec.minimum:g})")
        if spec.maximum is not None and value > spec.maximum:
            raise ff.fail(f"不能大于 {spec.maximum:g} (must be at most {spec.maximum:g})")

    return [_skip_empty(bounds)]


def _normaliser(spec: FieldSpec) -> Callable[[str], str] | None:
    if spec.format == "cn-id-number":
        return normalise_cn_id_number
    if spec.format == "cn-mobile" or spec.validation_type == "phone":
        return normalise_cn_mobile
    if spec.format == "cn-phone":
        return normalise_cn_phone
    return None


def _build_field(spec: FieldSpec) -> ma_fields.Field:
    common: dict[str, Any] = {"data_key": spec.key, "allow_none": True, "required": False}
    if spec.type in TEXT_TYPES:
        return ff.Text(normalise=_normaliser(spec), validate=_text_validators(spec), **common)
    if spec.type == "number":
        return ff.Number(decimal_digits=spec.decimal_digits, validate=_number_validators(spec), **common)
    if spec.type == "checkbox":
        return ff.Checkbox(**common)
    if spec.type in OPTION_TYPES:
        return ff.Choice(spec.options, **common)
    if spec.type in MULTI_OPTION_TYPES:
        return ff.MultiChoice(spec.options, **common)
    return ff.DateTime(spec.subtype or "date", **common)


def compile_form(defn: FormDefinition) -> type[FormSchema]:
    """The marshmallow schema class for `defn` (built once per definition object).

    Load with `schema(context=case_data).load(data, partial=...)`; unknown keys raise.
    """
    with _cache_lock:
        cached = _cache.get(defn)
        if cached is not None:
            return cached
        attr_of = {spec.key: f"f{index}" for index, spec in enumerate(defn.fields)}
        attrs: dict[str, Any] = {attr_of[spec.key]: _build_field(spec) for spec in defn.fields}
        attrs.update(form=defn, attr_of=attr_of)
        name = "Form_" + re.sub(r"[^0-9A-Za-z_]", "_", defn.id)
        schema = type(name, (FormSchema,), attrs)
        _cache[defn] = schema
        return schema


def validate_submission(defn: FormDefinition, data: Mapping[str, Any], *, partial: bool = False,
                        context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Validate a submission of `defn` and return the cleaned data to merge into the case.

    Values are converted (numbers to int/float, dates to ISO strings, ID numbers
    upper-cased, mobiles without +86); hidden fields are dropped. `partial=True`
    skips the required rule (drafts). `context` is the case data that hide
    conditions may also read. Raises `ValidationFailed` with
    `details={"fields": {key: [messages]}}`, one entry per bad field.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed(ff.NOT_OBJECT, {"fields": {"_schema": [ff.NOT_OBJECT]}})
    schema = _schema(compile_form(defn), context)
    try:
        return schema.load(data, partial=partial)
    except ValidationError as err:
        problems = _flatten(err.messages)
        names = sorted(problems)
        # the message goes into logs: name a few fields, details carry them all
        keys = ", ".join(names[:10]) + (f" (+{len(names) - 10})" if len(names) > 10 else "")
        raise ValidationFailed(f"表单校验未通过 (form validation failed): {keys}",
                               {"fields": problems}) from None


def _schema(cls: type[FormSchema], context: Mapping[str, Any] | None) -> FormSchema:
    """This thread's schema object of `cls`, set up as a new one would be. A load keeps
    its state in `condition_context` and `pending` only, both reset here."""
    schemas = getattr(_reused, "schemas", None)
    if schemas is None:
        schemas = _reused.schemas = weakref.WeakKeyDictionary()  # a form's class lives as long as the form
    schema = schemas.get(cls)
    if schema is None:
        schema = schemas[cls] = cls(context=context)
    schema.condition_context = dict(context or {})
    schema.pending = {}
    return schema


def _flatten(messages: Any) -> dict[str, list[str]]:
    if not isinstance(messages, dict):
        return {"_schema": [str(m) for m in _leaves(messages)]}
    return {str(key): [str(m) for m in _leaves(value)] for key, value in messages.items()}


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]
