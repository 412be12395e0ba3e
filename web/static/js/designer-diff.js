// The diff of two versions side by side (issue 13): the old version's diagram left, the new
// one's right, each a navigated viewer; added elements marked green and changed ones orange
// on the new diagram, removed ones red and changed ones orange on the old. The two move
// together: panning or zooming one moves the other. The marks are the server's diff
// (engine/definitions/diff.py: the same comparison the table above lists).
// Data: readData("diff-marks") = {elementId: "added" | "changed" | "removed"}.
import { api } from "./api.js";
import { readData } from "./data.js";
import { renderDiagram } from "./diagram-viewer.js";

const SHOWN = { old: ["removed", "changed"], new: ["added", "changed"] };

async function show(root, marks) {
  const side = root.dataset.side || "new";
  const xml = await api(root.dataset.diagramUrl, { accept: "application/xml" });
  const viewer = await renderDiagram(root.querySelector(".diagram__canvas"), xml);
  const registry = viewer.get("elementRegistry");
  const canvas = viewer.get("canvas");
  for (const [id, change] of Object.entries(marks)) {
    if (SHOWN[side].includes(change) && registry.get(id)) canvas.addMarker(id, `diff-${change}`);
  }
  root.dataset.ready = "true";
  return viewer;
}

async function start() {
  const roots = [...document.querySelectorAll('[data-module="diff-viewer"]')];
  if (!roots.length) return;
  const marks = readData("diff-marks");
  const viewers = await Promise.all(roots.map(async (root) => {
    try {
      return await show(root, marks);
    } catch (err) {
      root.querySelector(".diagram__status").textContent = root.dataset.error.replace("{error}", err.message);
      root.dataset.ready = "error";
      return null;
    }
  }));
  const live = viewers.filter(Boolean);
  if (live.length !== 2) return;
  // Both start on the view that fits the larger of the two drawings, then move together.
  const boxes = live.map((v) => v.get("canvas").zoom("fit-viewport") && v.get("canvas").viewbox());
  const wide = boxes[0].inner.width * boxes[0].inner.height >= boxes[1].inner.width * boxes[1].inner.height ? 0 : 1;
  const { x, y, width, height } = boxes[wide];
  live[1 - wide].get("canvas").viewbox({ x, y, width, height });
  let syncing = false;
  live.forEach((viewer, i) => {
    const other = live[1 - i];
    viewer.on("canvas.viewbox.changing", ({ viewbox }) => {
      if (syncing) return;
      syncing = true;
      other.get("canvas").viewbox({ x: viewbox.x, y: viewbox.y, width: viewbox.width, height: viewbox.height });
      syncing = false;
    });
  });
}

start();
