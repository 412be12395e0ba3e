"""Property-based tests of what reads designer input (issue 9, "what keeps them fixed").

For generated and mutated BPMN diagrams, DMN tables, forms, form submissions, expressions,
scripts and form hide conditions, each checker either accepts or refuses with one of our
ReliefError types whose message names what is wrong, never another exception, and ends in
bounded time (the watchdog turns a hang into a failure). CI runs a fixed number of examples
with a fixed seed; `RELIEF_RELIABILITY_LONG=1` runs ten times more, randomly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from api.settings import ROOT
from engine.definitions.bundle import BundleFile
from engine.definitions.repository import check_files
from engine.errors import DefinitionInvalid, ReliefError, ScriptRejected, ValidationFailed
from engine.forms import ConditionError, load_form, parse_condition, validate_submission
from engine.scripting import Limits, check_expression, check_script, command_budget, evaluate, execute
from engine.scripting.script_engine import HOST_FUNCTIONS
from tests.reliability.conftest import long_mode
from tests.support import diagrams as d
from workers.registry import topics

SCALE = 10 if long_mode() else 1
FUZZ = "fuzz cases run (parsers)"


def profile(examples: int) -> Callable[[Any], Any]:
    """Hypothesis settings for one property: `examples` in CI (fixed seed), ten times as
    many and random in the long mode. No example database (nothing written to the tree)."""
    return settings(max_examples=examples * SCALE, deadline=None, database=None, derandomize=not long_mode(),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def _named(err: ReliefError) -> None:
    """A refusal says what is wrong (and, for a definition, in which file)."""
    assert err.message.strip()
    if isinstance(err, DefinitionInvalid) and err.details.get("problems"):
        assert all(p.get("message") and p.get("file") is not None for p in err.details["problems"])


# XML: real diagrams, mutated ----------------------------------------------------------
MINI = (ROOT / "tests/fixtures/mini.bpmn").read_bytes()
TABLE = (ROOT / "workflows/jiangyin/aid_department.dmn").read_bytes()
TAGS = ["task", "userTask", "scriptTask", "serviceTask", "exclusiveGateway", "complexGateway", "transaction",
        "boundaryEvent", "timerEventDefinition", "conditionExpression", "multiInstanceLoopCharacteristics",
        "loopCardinality", "inputEntry", "outputEntry", "text", "sequenceFlow", "dataStoreReference"]
CODE = ["x", "1", "'a'", "now()", "add_working_days(now(), 2)", "__import__('os')", "-" * 300 + "1",
        "len([0 for i in range(10000) for j in range(10000)])", "", " ", "> 3", "?", "'\"", "长" * 50,
        "for i in range(3):\n    x = i", "while True:\n    pass"]
# what lxml can put in a document (the byte mutations below reach the rest)
texts = st.one_of(st.sampled_from(CODE), st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))


@st.composite
def mutated_xml(draw: st.DrawFn, source: bytes) -> bytes:
    """`source` with one to three mutations of its elements, attributes, text or bytes."""
    root = etree.fromstring(source)
    elements = list(root.iter())
    for _ in range(draw(st.integers(1, 3))):
        node = elements[draw(st.integers(0, len(elements) - 1))]
        kind = draw(st.sampled_from(["drop", "copy", "attribute", "text", "rename", "bytes"]))
        parent = node.getparent()
        if kind == "drop" and parent is not None:
            parent.remove(node)
            elements = list(root.iter())
        elif kind == "copy" and parent is not None:
            parent.append(etree.fromstring(etree.tostring(node)))
            elements = list(root.iter())
        elif kind == "attribute":
            names = list(node.attrib) or ["id"]
            node.set(draw(st.sampled_from(names + ["default", "attachedToRef", "calledElement"])),
                     draw(texts))
        elif kind == "text":
            node.text = draw(texts)
        elif kind == "rename":
            node.tag = f"{{{etree.QName(node).namespace or ''}}}{draw(st.sampled_from(TAGS))}"
    data = etree.tostring(root)
    if draw(st.booleans()):  # and sometimes the bytes themselves
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=20)) + data[at + draw(st.integers(0, 40)):]
    return data


def _check(files: list[BundleFile]) -> None:
    try:
        check_files(files, ROOT / "forms", topics())
    except ReliefError as err:
        _named(err)


@profile(120)
@given(xml=mutated_xml(MINI))
def test_issue9_mutated_diagrams_are_accepted_or_refused_by_name(xml, figures, watchdog):
    figures[FUZZ] += 1
    _check([BundleFile("mini.bpmn", "bpmn", xml),
            BundleFile("mini/review.json", "form", (ROOT / "tests/fixtures/forms/mini/review.json").read_bytes())])


@profile(80)
@given(table=mutated_xml(TABLE))
def test_issue9_mutated_decision_tables_are_accepted_or_refused_by_name(table, figures, watchdog):
    figures[FUZZ] += 1
    diagram = d.chain("rules", [d.business_rule_task("Rule_Aid", "jiangyin_aid_department"),
                                d.user_task("Task_Next")])
    _check(d.bundle(diagram) + [BundleFile("aid.dmn", "dmn", table)])


# Forms and their submissions ---------------------------------------------------------
TYPES = ["textfield", "textarea", "number", "checkbox", "radio", "select", "checklist", "taglist", "datetime",
         "group", "text", "button", "dynamiclist", "iframe", "nonsense", None]
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                                     st.floats(allow_nan=True), st.text(max_size=20)),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4), max_leaves=12)
FEEL = ["=", "x", "y", "channel", "\"grid\"", "1", "2.5", "true", "null", "=", "!=", "<", ">=", "and", "or",
        "not", "(", ")", "list", "contains", ",", "\\", "\"", "__import__", "f(", "[", "{"]
feel_text = st.lists(st.sampled_from(FEEL), max_size=25).map(lambda toks: "=" + " ".join(toks))


@st.composite
def components(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    comp: dict[str, Any] = {"type": draw(st.sampled_from(TYPES)),
                            "key": draw(st.one_of(st.sampled_from(["x", "y", "code", "channel", "a_b"]),
                                                  st.text(max_size=10), st.integers()))}
    if draw(st.booleans()):
        comp["validate"] = draw(st.dictionaries(
            st.sampled_from(["required", "minLength", "maxLength", "pattern", "min", "max", "validationType", "x"]),
            st.one_of(json_values, st.sampled_from(["(a+)+$", r"(a)\1", "[", "a{2000}", "[0-9]{3}", "(?=x)"])),
            max_size=3))
    if draw(st.booleans()):
        comp["conditional"] = {"hide": draw(st.one_of(feel_text, json_values))}
    if comp["type"] in ("radio", "select", "checklist", "taglist") and draw(st.booleans()):
        comp["values"] = draw(st.lists(st.fixed_dictionaries({"label": st.text(max_size=5), "value": json_values}),
                                       max_size=4))
    if comp["type"] == "group" and depth < 3:
        comp["components"] = draw(st.lists(components(depth + 1), max_size=3))
    return comp


forms = st.fixed_dictionaries({"type": st.just("default"), "components": st.lists(components(), max_size=6)})


@profile(300)
@given(form=forms, data=st.dictionaries(st.sampled_from(["x", "y", "code", "channel", "a_b", "zz"]), json_values,
                                        max_size=5))
def test_issue9_generated_forms_and_submissions_are_accepted_or_refused_by_name(form, data, figures, watchdog):
    figures[FUZZ] += 1
    try:
        definition = load_form(json.dumps(form).encode(), file="fuzz.json")
    except DefinitionInvalid as err:
        _named(err)
        return
    try:
        validate_submission(definition, data, context={"channel": "grid"})
    except ValidationFailed as err:
        _named(err)


@profile(80)
@given(text=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_issue9_any_bytes_as_a_form_file_are_refused_by_name(text, figures):
    figures[FUZZ] += 1
    try:
        load_form(text, file="bytes.json")
    except DefinitionInvalid as err:
        _named(err)


@profile(400)
@given(text=feel_text | st.text(max_size=60), data=st.dictionaries(st.sampled_from(["x", "y", "channel"]),
                                                                   json_values, max_size=3))
def test_issue9_hide_conditions_parse_or_are_refused_and_always_evaluate_to_a_verdict(text, data, figures):
    figures[FUZZ] += 1
    try:
        condition = parse_condition(text)
    except ConditionError as err:
        assert str(err)
        return
    assert condition.evaluate(data) in (True, False)


# Expressions and scripts ---------------------------------------------------------------
TOKENS = ["x", "y", "items", "len", "range", "sorted", "sum", "str", "int", "now()", "__import__", "_x", "open",
          "eval", "getattr", "1", "0", "10000", "-1", "2.5", "'a'", "\"b\"", "f'{x:>5}'", "+", "-", "*", "/", "//",
          "%", "**", "<<", "==", "<", "not", "and", "or", "in", "is", "if", "else", "for", "lambda", ":", ",", ".",
          "(", ")", "[", "]", "{", "}", "upper", "join", "ljust", "replace", "extend", "__class__", "format"]
expression_text = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map(" ".join) | st.text(max_size=80)
LINES = ["x = 1", "y = x * 2", "for i in range(10):", "    x = x + i", "def f(n):", "    return n", "z = f(3)",
         "items.append(x)", "while x:", "import os", "s = 'a' * 1000", "del y", "    pass", "x += 1",
         "items = [i for i in range(100)]", "a, b = 1, 2", "s = f'{x}'", "class A:", "try:"]
script_text = st.lists(st.sampled_from(LINES), min_size=1, max_size=12).map("\n".join)
ORDINARY = (ArithmeticError, AttributeError, KeyError, IndexError, LookupError, NameError, TypeError, ValueError,
            NotImplementedError)  # what SpiffWorkflow reports as the diagram's error (a 422)


def _data() -> dict[str, Any]:
    return {"x": 3, "y": "ab", "items": [1, 2, 3]}


def _run(fn: Callable[[], Any]) -> None:
    with command_budget(Limits(seconds=5, command_seconds=5)):
        try:
            fn()
        except ReliefError as err:
            _named(err)
        except ORDINARY:
            pass


@profile(600)
@given(text=expression_text)
def test_issue9_expressions_compile_or_are_refused_and_run_within_bounds(text, figures, watchdog):
    figures[FUZZ] += 1
    try:
        check_expression(text)
    except ScriptRejected as err:
        _named(err)
        return
    _run(lambda: evaluate(text, _data(), HOST_FUNCTIONS))


@profile(300)
@given(text=script_text)
def test_issue9_scripts_compile_or_are_refused_and_run_within_bounds(text, figures, watchdog):
    figures[FUZZ] += 1
    try:
        check_script(text)
    except ScriptRejected as err:
        _named(err)
        return
    _run(lambda: execute(text, _data(), HOST_FUNCTIONS))
