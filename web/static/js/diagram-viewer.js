// Read-only process diagrams: the bpmn-js navigated viewer (pan, zoom) on the BPMN XML
// the API serves for a definition version. Needs vendor/bpmn-js/bpmn-navigated-viewer
// .production.min.js loaded first (window.BpmnJS) and the bpmn-js CSS. The bpmn.io logo
// the viewer draws stays visible (licence).
//
// Markup: <div data-module="diagram-viewer" data-diagram-url="…" data-error="… {error}">
//   <div class="diagram__canvas"></div> [buttons data-zoom="in|out|fit"] <p class="diagram__status"></p></div>
// With data-markers="<json_data id>" ({completed, current, flows}: element ids the engine
// computed for a case, engine/tracking.py) those elements get the classes case-completed,
// case-current and case-flow (styled in relief.css) — the case page's progress (J-TRACK).
import { api } from "./api.js";
import { readData } from "./data.js";

const MARKERS = { completed: "case-completed", current: "case-current", flows: "case-flow" };

// markElements(viewer, {completed, current, flows}): ids the diagram does not draw are skipped.
export function markElements(viewer, marks) {
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  for (const [kind, marker] of Object.entries(MARKERS)) {
    for (const id of marks[kind] || []) if (registry.get(id)) canvas.addMarker(id, marker);
  }
}

// renderDiagram(element, xml) -> the viewer, zoomed to fit (the case page marks elements on it).
export async function renderDiagram(container, xml) {
  if (!window.BpmnJS) throw new Error("vendor/bpmn-js/bpmn-navigated-viewer.production.min.js is not loaded");
  const viewer = new window.BpmnJS({ container });
  await viewer.importXML(xml);
  viewer.get("canvas").zoom("fit-viewport", "auto");
  return viewer;
}

// Zoom to the current steps at a readable size (on a phone the whole diagram is tiny).
function showCurrent(viewer, ids) {
  const registry = viewer.get("elementRegistry");
  const shapes = ids.map((id) => registry.get(id)).filter(Boolean);
  if (!shapes.length) return;
  const box = viewer.get("canvas").viewbox();
  const left = Math.min(...shapes.map((s) => s.x)), top = Math.min(...shapes.map((s) => s.y));
  const right = Math.max(...shapes.map((s) => s.x + s.width)), bottom = Math.max(...shapes.map((s) => s.y + s.height));
  const width = box.outer.width, height = box.outer.height;
  viewer.get("canvas").viewbox({ x: (left + right) / 2 - width / 2, y: (top + bottom) / 2 - height / 2, width, height });
}

async function start(root) {
  const status = root.querySelector(".diagram__status");
  try {
    const xml = await api(root.dataset.diagramUrl, { accept: "application/xml" });
    const viewer = await renderDiagram(root.querySelector(".diagram__canvas"), xml);
    const canvas = viewer.get("canvas");
    if (root.dataset.markers) {
      const marks = readData(root.dataset.markers);
      markElements(viewer, marks);
      // On a phone the whole diagram is too small to read: start at the current steps.
      if (root.clientWidth < 640) showCurrent(viewer, marks.current || []);
    }
    for (const button of root.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => {
        const how = button.dataset.zoom;
        if (how === "fit") canvas.zoom("fit-viewport", "auto");
        else if (how === "current") showCurrent(viewer, readData(root.dataset.markers).current || []);
        else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
      });
    }
    root.dataset.ready = "true";
  } catch (err) {
    status.textContent = root.dataset.error.replace("{error}", err.message);
    root.dataset.ready = "error";
  }
}

for (const root of document.querySelectorAll('[data-module="diagram-viewer"]')) start(root);
