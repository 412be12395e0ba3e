// Read-only process diagrams: the bpmn-js navigated viewer (pan, zoom) on the BPMN XML
// the API serves for a definition version. Needs vendor/bpmn-js/bpmn-navigated-viewer
// .production.min.js loaded first (window.BpmnJS) and the bpmn-js CSS. The bpmn.io logo
// the viewer draws stays visible (licence).
//
// Markup: <div data-module="diagram-viewer" data-diagram-url="…" data-error="… {error}">
//   <div class="diagram__canvas"></div> [buttons data-zoom="in|out|fit"] <p class="diagram__status"></p></div>
import { api } from "./api.js";

// renderDiagram(element, xml) -> the viewer, zoomed to fit (the case page marks elements on it).
export async function renderDiagram(container, xml) {
  if (!window.BpmnJS) throw new Error("vendor/bpmn-js/bpmn-navigated-viewer.production.min.js is not loaded");
  const viewer = new window.BpmnJS({ container });
  await viewer.importXML(xml);
  viewer.get("canvas").zoom("fit-viewport", "auto");
  return viewer;
}

async function start(root) {
  const status = root.querySelector(".diagram__status");
  try {
    const xml = await api(root.dataset.diagramUrl, { accept: "application/xml" });
    const viewer = await renderDiagram(root.querySelector(".diagram__canvas"), xml);
    const canvas = viewer.get("canvas");
    for (const button of root.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => {
        const how = button.dataset.zoom;
        if (how === "fit") canvas.zoom("fit-viewport", "auto");
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
