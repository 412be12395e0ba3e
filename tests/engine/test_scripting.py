"""The restricted environment (DESIGN rule 6): designer code cannot escape or hang."""

import pytest

from engine.errors import ScriptRejected
from engine.scripting import check_expression, evaluate, execute
from engine.scripting.restricted import MAX_EXPRESSION_CHARS


@pytest.mark.parametrize("expression", [
    "().__class__.__base__.__subclasses__()",
    "__import__('os').system('id')",
    "x.__dict__",
    "getattr(x, '_secret')",
    "eval('1')",
    "open('/etc/passwd').read()",
    "2 ** 100000000",
    "type(x)",
])
def test_escape_attempts_are_rejected_before_anything_runs(expression):
    with pytest.raises(ScriptRejected):
        check_expression(expression)


def test_format_string_attribute_escape_is_blocked_at_runtime():
    with pytest.raises(Exception):  # noqa: B017 - RestrictedPython raises NotImplementedError here
        evaluate("'{0.__class__}'.format(x)", {"x": 1})


@pytest.mark.parametrize("script", ["while True:\n    pass", "import os", "for i in range(10**9):\n    pass",
                                    "class A:\n    pass"])
def test_scripts_that_could_hang_or_import_are_rejected(script):
    with pytest.raises(ScriptRejected):
        execute(script, {})


def test_range_is_bounded_at_runtime():
    with pytest.raises(ScriptRejected, match="longer than"):
        execute("total = sum(range(100000))", {})


def test_oversized_expression_is_rejected():
    with pytest.raises(ScriptRejected, match="longer than"):
        check_expression("1 + " * MAX_EXPRESSION_CHARS + "1")


def test_conditions_read_case_data_and_scripts_write_it():
    data = {"aid_types": ["dibao", "medical"], "income": 800}
    assert evaluate("'dibao' in aid_types and income < 1000", data) is True
    execute("departments = sorted(set(a for a in aid_types))\ncount = len(departments)", data)
    assert data["departments"] == ["dibao", "medical"]
    assert data["count"] == 2


def test_script_may_delete_a_variable():
    data = {"tmp": 1, "keep": 2}
    execute("del tmp", data)
    assert data == {"keep": 2}
