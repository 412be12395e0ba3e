// The diff of two versions on the newer one's diagram (issue 13): added elements marked
// green, changed ones orange (removed ones are only in the table: they are not drawn).
// Data: readData("diff-marks") = {elementId: "added" | "changed" | "removed"}.
import { api } from "./api.js";
import { readData } from "./data.js";
import { renderDiagram } from "./diagram-viewer.js";

async function start(root) {
  const marks = readData("diff-marks");
  try {
    const xml = await api(root.dataset.diagramUrl, { accept: "application/xml" });
    const viewer = await renderDiagram(root.querySelector(".diagram__canvas"), xml);
    const registry = viewer.get("elementRegistry");
    const canvas = viewer.get("canvas");
    for (const [id, change] of Object.entries(marks)) {
      if (change !== "removed" && registry.get(id)) canvas.addMarker(id, `diff-${change}`);
    }
    root.dataset.ready = "true";
  } catch (err) {
    root.querySelector(".diagram__status").textContent = root.dataset.error.replace("{error}", err.message);
    root.dataset.ready = "error";
  }
}

for (const root of document.querySelectorAll('[data-module="diff-viewer"]')) start(root);
