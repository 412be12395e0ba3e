"""Random valid submissions of any form-js form, read from its checked definition: what a
hurried clerk might enter, option by option. The crash suite drives cases of every
variant with them, so that it follows the diagrams and forms as they are, whatever
their tasks are called.

`sample` fills the fields a submission may carry (not read-only, not hidden by what is
filled so far or by the case data), each required one always and an optional one
usually; the engine's validation stays the judge (a refused sample is drawn again)."""

from __future__ import annotations

import math
import random
import re
import re._constants as _c
import re._parser as _parser
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
    if spec.type == "number":  # a whole number within the bounds (any decimal_digits allows it)
        low = math.ceil(spec.minimum) if spec.minimum is not None else 0
        high = math.floor(spec.maximum) if spec.maximum is not None else low + 2000
        return rng.randint(low, high) if low <= high else spec.minimum
    if spec.type == "datetime":
        day = f"2026-12-{rng.randint(1, 28):02d}"
        return {"date": day, "time": "10:30"}.get(spec.subtype or "datetime", f"{day}T10:30")
    return _text(spec, rng)


def _text(spec: FieldSpec, rng: random.Random) -> str | None:
    if spec.format == "cn-id-number":
        return ID_NUMBER
    if spec.format == "cn-mobile" or spec.validation_type == "phone":
        return MOBILE
    if spec.format == "cn-phone":  # a mobile or a fixed line with its area code
        return rng.choice([MOBILE, "0510-86123456", "(0632)5512345"])
    if spec.validation_type == "email":
        return "case@example.cn"
    if spec.pattern:
        for _ in range(20):
            candidate = matching(spec.pattern, rng)
            if candidate is not None and re.fullmatch(spec.pattern, candidate):
                return candidate
        return None
    text = "，".join(rng.sample(_WORDS, rng.randint(1, 3)))
    low, high = spec.min_length or 1, spec.max_length or 200
    while len(text) < low:
        text += "，" + rng.choice(_WORDS)
    return text[:high]


def matching(pattern: str, rng: random.Random) -> str | None:
    """A random string `pattern` matches, for the constructs form patterns use (literals,
    classes, repeats, groups, alternatives, anchors); None for anything else."""
    try:
        return _emit(_parser.parse(pattern), rng)
    except (re.error, _Unsupported):
        return None


class _Unsupported(Exception):
    pass


_CATEGORIES = {_c.CATEGORY_DIGIT: "0123456789", _c.CATEGORY_WORD: "abcXYZ019_", _c.CATEGORY_SPACE: " "}


def _emit(items: Any, rng: random.Random) -> str:
    out = []
    for op, arg in items:
        if op is _c.LITERAL:
            out.append(chr(arg))
        elif op is _c.ANY:
            out.append("a")
        elif op is _c.IN:
            out.append(_one_of(arg, rng))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, inner = arg
            count = rng.randint(low, min(high, low + 3))
            out.extend(_emit(inner, rng) for _ in range(count))
        elif op is _c.SUBPATTERN:
            out.append(_emit(arg[-1], rng))
        elif op is _c.BRANCH:
            out.append(_emit(rng.choice(arg[1]), rng))
        elif op is not _c.AT:
            raise _Unsupported(op)
    return "".join(out)


def _one_of(members: Any, rng: random.Random) -> str:
    choices = []
    for op, arg in members:
        if op is _c.NEGATE:
            raise _Unsupported(op)
        if op is _c.LITERAL:
            choices.append(chr(arg))
        elif op is _c.RANGE:
            choices.append(chr(rng.randint(*arg)))
        elif op is _c.CATEGORY and arg in _CATEGORIES:
            choices.append(rng.choice(_CATEGORIES[arg]))
        else:
            raise _Unsupported(op)
    return rng.choice(choices)


# What staff must record (issue 11, forms/common): the fixtures that complete these steps by hand.
def decision_record(approved: bool, basis: str = "《社会救助暂行办法》第九条、第十一条") -> dict[str, Any]:
    """The policy basis of a department's decision, and for an approval its aid period."""
    extra: dict[str, Any] = {"policy_basis": basis}
    if approved:
        extra.update({"aid_start_date": "2026-12-01", "aid_period_months": 12})
    return extra


VILLAGE_VISIT = {"village_visit_date": "2026-11-09", "village_investigators": "王村干、李协理员",
                 "village_household_facts": "户籍3人，无稳定收入，住自建房一处，配偶患慢性病"}
TOWNSHIP_CHECK = {"township_check_date": "2026-11-10", "township_checkers": "赵科员、钱科员",
                  "township_household_facts": "与村级调查一致，收入、财产情况属实"}
