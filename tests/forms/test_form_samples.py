"""The random submissions the crash suite drives cases with (tests/support/form_data.py)
pass the server's validation, for every form of workflows/ — else the suite would stall
on a form instead of testing crashes."""

from __future__ import annotations

import random
import re

import pytest

from api.settings import ROOT
from engine.forms import load_form, validate_submission
from tests.support.form_data import matching, sample

FORMS = sorted((ROOT / "forms").rglob("*.json"))


@pytest.mark.parametrize("path", FORMS, ids=lambda p: str(p.relative_to(ROOT / "forms")))
def test_random_samples_of_every_form_are_valid(path):
    form = load_form(path)
    rng = random.Random(path.name)
    for context in ({}, {"channel": "hotline"}, {"channel": "grid"}):
        for _ in range(20):
            data = sample(form, rng, context)
            assert validate_submission(form, data, context=context) is not None, data


def test_samples_follow_patterns():
    rng = random.Random(7)
    for pattern in (r"^[A-Z]{2}\d{6}(-[0-9a-f]+)?$", r"\d{4}-\d{2}", r"[一-龥]{2,4}", r"(甲|乙)\w+"):
        value = matching(pattern, rng)
        assert value is not None and re.fullmatch(pattern, value), (pattern, value)
