"""form-js form definitions: loading, checking, and server-side validation (X-FORMS)."""

from engine.forms.compiler import FormSchema, compile_form, validate_submission
from engine.forms.definition import FieldSpec, FormDefinition, form_data_keys, load_form
from engine.forms.feel_subset import Condition, ConditionError, parse_condition
from engine.forms.registry import FormRegistry
from engine.forms.validators import (
    is_valid_cn_id_number,
    is_valid_cn_mobile,
    mask_id_number,
    mask_phone,
)

__all__ = [
    "Condition",
    "ConditionError",
    "FieldSpec",
    "FormDefinition",
    "FormRegistry",
    "FormSchema",
    "compile_form",
    "form_data_keys",
    "is_valid_cn_id_number",
    "is_valid_cn_mobile",
    "load_form",
    "mask_id_number",
    "mask_phone",
    "parse_condition",
    "validate_submission",
]
