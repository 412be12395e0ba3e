"""X-DESIGN: designers edit our diagrams in the bpmn.io modeler, so each one must draw there.

The linter only checks that DI exists; these tests open every diagram of workflows/ in the
vendored bpmn-js inside a real (headless) Chromium, served over local HTTP as the app serves
it, and check that the diagram has DI so it can be drawn — every flow node and sequence flow
on the canvas, no import warning — that it reads cleanly there (no flow through a shape,
no label on a shape or another label), and that saving it from the modeler keeps every element."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from api.settings import ROOT
from engine.definitions.lint import NS
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_HINT,
    Drawing,
    all_ids,
    flow_element_ids,
    semantic_content,
    static_server,
    undrawn,
)
from tests.support.layout import layout_problems

DIAGRAMS = sorted((ROOT / "workflows").rglob("*.bpmn"))
MODELER_JS = ROOT / "api" / "static" / "vendor" / "bpmn-js" / "bpmn-modeler.production.min.js"
PAGE = Path(__file__).with_name("modeler.html")


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT / "workflows"))


@pytest.fixture(scope="module")
def modeler_url() -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip(CHROMIUM_HINT)
    if not MODELER_JS.exists():
        pytest.fail(f"{MODELER_JS.relative_to(ROOT)} is missing: run `make test`, which copies the npm assets")
    with static_server(ROOT / "api", PAGE) as url:
        yield url


@pytest.fixture(scope="module")
def browser(modeler_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # only where a browser exists to drive

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Modeler:
    """The modeler page of one test, and what it did besides: script errors, requests off this host."""

    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def draw(self, xml: bytes) -> Drawing:
        return Drawing(**self.page.evaluate("xml => window.drawDiagram(xml)", xml.decode("utf-8")))

    def layout(self) -> list[dict[str, Any]]:
        """Where bpmn-js placed every shape, label and flow of the diagram open now."""
        return self.page.evaluate("() => window.layout()")

    def save(self) -> bytes:
        return self.page.evaluate("() => window.saveDiagram()").encode("utf-8")


@pytest.fixture
def modeler(browser: Any, modeler_url: str) -> Iterator[Modeler]:
    """A fresh page with the vendored modeler loaded; anything not from the local server is refused."""
    context = browser.new_context()
    page = context.new_page()
    modeler = Modeler(page)

    def local_only(route: Any) -> None:
        # No CDN: a request elsewhere is recorded (the test fails on it) and never leaves the machine.
        if route.request.url.startswith(modeler_url + "/"):
            route.continue_()
        else:
            modeler.outside.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    page.on("pageerror", lambda err: modeler.errors.append(str(err)))
    page.on("console", lambda msg: modeler.errors.append(msg.text) if msg.type == "error" else None)
    page.goto(modeler_url + "/")
    page.wait_for_function("typeof window.drawDiagram === 'function'", timeout=15_000)
    yield modeler
    context.close()


@pytest.mark.parametrize("path", DIAGRAMS, ids=_name)
def test_x_design_diagram_has_di_so_it_can_be_drawn(modeler: Modeler, path: Path) -> None:
    """Every flow node and sequence flow of the diagram is on the bpmn-js canvas, drawn without a warning."""
    xml = path.read_bytes()
    drawing = modeler.draw(xml)

    assert drawing.error is None, f"{_name(path)}: bpmn-js cannot import it: {drawing.error}"
    assert drawing.warnings == [], f"{_name(path)}: bpmn-js import warnings"
    assert flow_element_ids(xml), f"{_name(path)}: no flow nodes found; the check would prove nothing"
    assert undrawn(xml, drawing) == [], f"{_name(path)}: elements bpmn-js did not draw"
    assert modeler.errors == [] and modeler.outside == []


@pytest.mark.parametrize("path", DIAGRAMS, ids=_name)
def test_x_design_diagram_reads_cleanly(modeler: Modeler, path: Path) -> None:
    """As drawn in bpmn-js, no flow runs through a shape it does not start or end at, and no
    label lies on a shape or on another label."""
    assert modeler.draw(path.read_bytes()).error is None
    layout = modeler.layout()
    assert any(e["type"] == "label" for e in layout) and any(e["waypoints"] for e in layout)
    assert layout_problems(layout) == [], _name(path)


def test_x_design_layout_check_names_a_flow_through_a_shape_and_a_label_on_one(modeler: Modeler) -> None:
    """The layout check itself is proven: an end event moved onto a flow's first segment and
    another onto a gateway's label are both named."""
    root = etree.fromstring((ROOT / "workflows" / "emergency" / "emergency_report.bpmn").read_bytes())
    assert modeler.draw(etree.tostring(root)).error is None
    layout = {e["id"]: e for e in modeler.layout()}
    flow = next(e for e in layout.values() if e["waypoints"] and e["target"] == "Task_Visit")
    (x0, y0), (x1, _y1) = flow["waypoints"][0], flow["waypoints"][1]
    label = layout["Gateway_Confirmed_label"]
    bounds = {**NS, "dc": "http://www.omg.org/spec/DD/20100524/DC"}
    end = root.xpath("//bpmndi:BPMNShape[@bpmnElement='End_Supervised']/dc:Bounds", namespaces=bounds)[0]
    end.set("x", str((x0 + x1) / 2 - 18))
    end.set("y", str(y0 - 18))
    moved = root.xpath("//bpmndi:BPMNShape[@bpmnElement='End_Aided']/dc:Bounds", namespaces=bounds)[0]
    moved.set("x", str(label["x"]))
    moved.set("y", str(label["y"]))

    assert modeler.draw(etree.tostring(root)).error is None
    problems = layout_problems(modeler.layout())
    assert f"flow {flow['id']} runs through End_Supervised" in problems
    assert "label Gateway_Confirmed_label lies on End_Aided" in problems


@pytest.mark.parametrize("path", DIAGRAMS, ids=_name)
def test_x_design_diagram_saved_from_the_modeler_keeps_every_element(modeler: Modeler, path: Path) -> None:
    """A designer can save what they opened: the export has the same ids, loses nothing, and draws again."""
    xml = path.read_bytes()
    assert modeler.draw(xml).error is None
    saved = modeler.save()

    assert sorted(all_ids(xml) ^ all_ids(saved)) == [], f"{_name(path)}: ids lost or added by saving"
    lost, added = semantic_content(xml) - semantic_content(saved), semantic_content(saved) - semantic_content(xml)
    assert (sorted(lost), sorted(added)) == ([], []), f"{_name(path)}: saving changed the process, not only the layout"
    again = modeler.draw(saved)
    assert (again.error, again.warnings, undrawn(saved, again)) == (None, [], [])
    assert modeler.errors == [] and modeler.outside == []


def test_x_design_check_names_a_flow_node_whose_shape_is_missing(modeler: Modeler) -> None:
    """The check itself is proven: drop one task's BPMNShape and it names that task (and the flows
    bpmn-js then cannot connect to it), while the import itself still succeeds."""
    root = etree.fromstring((ROOT / "workflows" / "jiangyin" / "jiangyin_one_door.bpmn").read_bytes())
    # a task without a boundary event: bpmn-js would also name the event left without its host
    task_id = next(t for t in root.xpath("//bpmn:userTask/@id", namespaces=NS)
                   if not root.xpath("//bpmn:boundaryEvent[@attachedToRef=$id]", namespaces=NS, id=t))
    shape = root.xpath("//bpmndi:BPMNShape[@bpmnElement=$id]", namespaces=NS, id=task_id)[0]
    shape.getparent().remove(shape)
    touching = root.xpath("//bpmn:sequenceFlow[@sourceRef=$id or @targetRef=$id]/@id", namespaces=NS, id=task_id)
    broken = etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    drawing = modeler.draw(broken)

    assert drawing.error is None  # bpmn-js opens it: a designer would see a hole, not an error
    assert drawing.warnings and all(task_id in w for w in drawing.warnings)
    assert undrawn(broken, drawing) == sorted([task_id, *touching])
