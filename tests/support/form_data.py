"""Random valid submissions of any form-js form, read from its checked definition: what a
hurried clerk might enter, option by option. The crash suite drives cases of every
variant with them, so that it follows the diagrams and forms as they are, whatever
their tasks are called.

`sample` fills the fields a submission may carry (not read-only, not hidden by what is
filled so far or by the case data), each required one always and an optional one
usually; the engine's validation stays the judge (a refused sample is drawn again)."""

from __future__ import annotations

import random
import re
from typing import Any

from engine.forms.definition import FieldSpec, FormDefinition
from engine.forms.validators import cn_id_check_digit

MOBILE = "13812345678"
_ID17 = "32028119850315123"
ID_NUMBER = _ID17 + cn_id_check_digit(_ID17)
_WORDS = "情况属实 同意办理 材料齐全 家庭困难 已核实 入户调查 收入证明 户口簿 身份证".split()


def sample(form: FormDefinition, rng: random.Random, context: dict[str, Any] | None = None,
           optional: float = 0.9) -> dict[str, Any]:
    """One submission of `form`; `context` is the case data its hide conditions may read."""
    data: dict[str, Any] = {}
    seen = dict(context or {})
    for spec in form.fields:
        if spec.readonly or any(c.evaluate({**seen, **data}) for c in spec.hide):
            continue
        if not spec.required and rng.random() > optional:
            continue
        value = _value(spec, rng)
        if value is not None:
            data[spec.key] = value
    return data


def _value(spec: FieldSpec, rng: random.Random) -> Any:
    if spec.type in ("radio", "select"):
        return rng.choice(spec.options) if spec.options else None
    if spec.type in ("checklist", "taglist"):
        return rng.sample(list(spec.options), rng.randint(1, min(len(spec.options), 3))) if spec.options else None
    if spec.type == "checkbox":
        return True if spec.required else rng.random() < 0.5
    if spec.type == "number":
        low = spec.minimum if spec.minimum is not None else 0
        high = spec.maximum if spec.maximum is not None else max(low, 0) + 2000
        return int(rng.uniform(low, high)) if int(low) >= low and int(high) >= low else low
    if spec.type == "datetime":
        day = f"2026-12-{rng.randint(1, 28):02d}"
        return {"date": day, "time": "10:30"}.get(spec.subtype or "datetime", f"{day}T10:30")
    return _text(spec, rng)


def _text(spec: FieldSpec, rng: random.Random) -> str | None:
    if spec.format == "cn-id-number":
        return ID_NUMBER
    if spec.format == "cn-mobile" or spec.validation_type == "phone":
        return MOBILE
    if spec.validation_type == "email":
        return "case@example.cn"
    if spec.pattern:
        fits = [c for c in ("12345", "ABC123", "abc", "测试", ID_NUMBER, MOBILE) if re.fullmatch(spec.pattern, c)]
        return rng.choice(fits) if fits else None
    text = "，".join(rng.sample(_WORDS, rng.randint(1, 3)))
    low, high = spec.min_length or 1, spec.max_length or 200
    while len(text) < low:
        text += "，" + rng.choice(_WORDS)
    return text[:high]
