"""The safe FEEL subset of form-js hide conditions. The expected values are form-js's own
(tests/web/test_feel_parity.py checks the same cases in the browser)."""

from __future__ import annotations

import pytest

from engine.forms.feel_subset import MAX_DEPTH, ConditionError, parse_condition


@pytest.mark.parametrize("source, data, hidden", [
    ('=channel = "grid"', {"channel": "grid"}, True),
    ('=channel = "grid"', {"channel": "window"}, False),
    ('=channel != "grid"', {"channel": "window"}, True),
    ('=channel != "grid"', {}, True),                       # null != "grid"
    ("=urgent = true", {"urgent": True}, True),
    ("=urgent = false", {"urgent": True}, False),
    ("=urgent = true", {"urgent": 1}, True),                # kinds differ: null, which hides
    ("=size = 3", {"size": 3.0}, True),
    ("=size = 3", {"size": "3"}, True),                     # kinds differ: null, which hides
    ("=size > 3", {"size": 4}, True),
    ("=size <= 3", {"size": 4}, False),
    ("=size > 3", {}, True),                                # ordering with null is null: hides
    ('=size > 3', {"size": "9"}, True),                     # compared as JavaScript does
    ("=amount >= -1.5", {"amount": -1.5}, True),
    ("=not(urgent)", {"urgent": False}, True),
    ("=not(urgent)", {"urgent": True}, False),
    ("=not(urgent)", {}, False),                            # a negated test of null
    ("=urgent", {"urgent": True}, True),
    ("=urgent", {"urgent": ""}, False),
    ("=note", {"note": "x"}, False),                        # a text is not true
    ("=eligible = null", {}, True),
    ("=eligible = null", {"eligible": "yes"}, False),
    ("=eligible != null", {"eligible": "yes"}, True),
    ('=a = "x" and b = "y"', {"a": "x", "b": "y"}, True),
    ('=a = "x" and b = "y"', {"a": "x", "b": "z"}, False),
    ('=a = "x" or b = "y"', {"a": "q", "b": "y"}, True),
    ('=a = "x" or b = "y" and c = "z"', {"a": "x"}, True),  # and binds tighter than or
    ('=(a = "x" or b = "y") and c = "z"', {"a": "x"}, False),
    ('=not(a = "x" or b = "y")', {"a": "q", "b": "q"}, True),
    ('=list contains(aid_types, "medical")', {"aid_types": ["dibao", "medical"]}, True),
    ('=list contains(aid_types, "medical")', {"aid_types": ["dibao"]}, False),
    ('=list contains(aid_types, "medical")', {}, True),       # null list: null, which hides
    ('=note = "say \\"hi\\""', {"note": 'say "hi"'}, True),
    ('  =channel = "灵活就业"  ', {"channel": "灵活就业"}, True),
])
def test_X_FORMS_hide_condition_evaluation(source, data, hidden):
    assert parse_condition(source).evaluate(data) is hidden


def test_X_FORMS_condition_lists_the_names_it_reads():
    cond = parse_condition('=eligible != "no" or list contains(items, other)')
    assert cond.names == {"eligible", "items", "other"}


@pytest.mark.parametrize("source", [
    'channel = "grid"',                 # no leading =
    "=",
    "=a.b = 1",                         # paths: data is flat
    "=a + 1",
    "=sum(a)",                          # other functions
    '=__import__("os")',
    "=a[1]",
    '=if a then b else c',
    "=a = ",
    "=(a",
    "=a b",
    "=and",
    '="open',
    '="bad \\q escape"',
    "=list contains(a)",
    "=not a",
    "=1 = = 1",
    '=a > "3"',                         # form-js orders text by character ranges
    "=a < true",
    "=a = 'single'",
    "=x" + " or x" * 200,               # longer than allowed
])
def test_X_FORMS_rejects_conditions_outside_the_subset(source):
    with pytest.raises(ConditionError):
        parse_condition(source)


def test_X_FORMS_rejects_deeply_nested_conditions():
    with pytest.raises(ConditionError, match="nested"):
        parse_condition("=" + "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))


def test_X_FORMS_rejects_non_string_condition():
    with pytest.raises(ConditionError):
        parse_condition(True)  # type: ignore[arg-type]
