"""X-FORMS: the server hides exactly the fields form-js hides in the browser.

A hide condition decides which fields a clerk sees and which the server then requires:
if the two disagreed, a clerk could be refused for a field they cannot see. form-js reads
`conditional.hide` as FEEL unary tests against a null input (a null result hides, a
top-level `not(...)` negates the test, `and`/`or` are three-valued, values of different
kinds compare to null). This test renders every condition of a matrix with the vendored
form-js viewer in Debian's Chromium, for every data set, and compares each field's
visibility with `Condition.evaluate` — and does the same for every condition in forms/."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.settings import ROOT
from engine.forms.feel_subset import parse_condition

VIEWER = ROOT / "api" / "static" / "vendor" / "form-js" / "form-viewer.umd.js"

CONDITIONS = [
    '=channel = "grid"', '=channel != "grid"', "=urgent = true", "=urgent = false", "=urgent = 1",
    "=size = 3", '=size = "3"', '=size != "3"', "=size > 3", "=size <= 3", "=amount >= -1.5",
    "=not(urgent)", "=not(note)", "=not(size > 3)", "=not(not(urgent))", "=not(urgent = true)",
    "=urgent", "=(urgent)", "=note", "=size", "=xs", "=not(xs)", "=null", "=true", "=false",
    "=not(true)", "=1 = 1", "=eligible = null", "=eligible != null", "=urgent != null",
    '=a = "x" and b = "y"', '=a = "x" or b = "y"', '=a = "x" or b = "y" and c = "z"',
    '=(a = "x" or b = "y") and c = "z"', '=not(a = "x" or b = "y")', '=a = "x" and b',
    '=b or a = "x"', '=not(urgent) and a = "x"', '=not(note) or a = "x"', "=urgent = true or note",
    "=note and urgent", '=list contains(xs, "a")', '=not(list contains(xs, "a"))',
    "=list contains(xs, size)", "=xs = \"a\"", '=note = "say \\"hi\\""', '=channel = "灵活就业"',
]

DATA = [
    {}, {"channel": "grid"}, {"channel": "window"}, {"channel": "灵活就业"}, {"urgent": True},
    {"urgent": False}, {"urgent": 1}, {"urgent": ""}, {"note": "x"}, {"note": ""},
    {"note": 'say "hi"'}, {"size": 0}, {"size": 3}, {"size": 3.0}, {"size": 4}, {"size": "3"},
    {"size": "9"}, {"amount": -1.5}, {"amount": -2}, {"eligible": "yes"}, {"eligible": None},
    {"xs": ["a"]}, {"xs": []}, {"xs": [None]}, {"xs": ["b", "a"]}, {"xs": "a"},
    {"xs": [3], "size": 3}, {"a": "x", "b": "y"}, {"a": "x", "b": "z"}, {"a": "q", "b": "y"},
    {"a": "x", "c": "z"}, {"a": "x", "b": True}, {"a": "x", "b": "s"}, {"a": "q", "b": None},
    {"note": "x", "urgent": False, "a": "x"}, {"note": "x", "urgent": True},
]

# Renders each condition as the hide rule of a text field and answers, per data set,
# which fields the viewer left out.
HIDDEN_IN_BROWSER = """async ([conditions, datasets]) => {
  const out = [];
  for (const data of datasets) {
    const container = document.getElementById('form');
    container.innerHTML = '';
    const schema = {type: 'default', components: conditions.map((hide, i) => (
      {type: 'textfield', key: 'f' + i, label: 'L' + i, conditional: {hide}}))};
    const form = await FormViewer.createForm({container, schema, data});
    const shown = new Set([...container.querySelectorAll('label')].map(l => l.textContent.trim()));
    out.push(conditions.map((_, i) => !shown.has('L' + i)));
    form.destroy();
  }
  return out;
}"""


def hidden_in_browser(chromium: Any, conditions: list[str], datasets: list[dict[str, Any]]) -> list[list[bool]]:
    page = chromium.new_page()
    try:
        page.set_content("<div id='form'></div>")
        page.add_script_tag(path=str(VIEWER))
        return page.evaluate(HIDDEN_IN_BROWSER, [conditions, datasets])
    finally:
        page.close()


def disagreements(conditions: list[str], datasets: list[dict[str, Any]], browser: list[list[bool]]) -> list[str]:
    parsed = [parse_condition(c) for c in conditions]
    return [f"{c} with {json.dumps(d, ensure_ascii=False)}: browser hides={b}, server hides={p.evaluate(d)}"
            for d, row in zip(datasets, browser, strict=True)
            for c, p, b in zip(conditions, parsed, row, strict=True) if p.evaluate(d) is not b]


def test_X_FORMS_server_hides_what_form_js_hides(chromium):
    if not VIEWER.exists():
        pytest.fail("the vendored form-js viewer is missing: run `make test`, which copies it")
    assert disagreements(CONDITIONS, DATA, hidden_in_browser(chromium, CONDITIONS, DATA)) == []


def form_conditions() -> dict[str, set[str]]:
    """Every hide condition of forms/, with the names it reads."""
    found: dict[str, set[str]] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for comp in components:
            hide = (comp.get("conditional") or {}).get("hide")
            if hide:
                found[hide] = set(parse_condition(hide).names)
            walk(comp.get("components") or [])

    for path in sorted((ROOT / "forms").rglob("*.json")):
        schema = json.loads(path.read_text("utf-8"))
        if isinstance(schema, dict) and isinstance(schema.get("components"), list):
            walk(schema["components"])
    return found


def test_X_FORMS_every_condition_in_forms_hides_alike_in_browser_and_server(chromium):
    """Each condition of our forms, for each name it reads set to each kind of value
    (absent, null, empty, text, a number, true, false, a list)."""
    conditions = form_conditions()
    assert conditions, "no hide conditions found in forms/"
    samples: list[Any] = [None, "", "yes", "no", "other", 0, 3, True, False, ["medical"]]
    datasets = [{}] + [{name: value} for names in conditions.values() for name in sorted(names)
                       for value in samples]
    unique = list({json.dumps(d, sort_keys=True): d for d in datasets}.values())
    ordered = sorted(conditions)
    assert disagreements(ordered, unique, hidden_in_browser(chromium, ordered, unique)) == []
