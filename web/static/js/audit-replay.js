// The auditor's replay page (web/templates/audit/replay.html): the case's diagram version in
// the bpmn-js viewer, one step of its history at a time. Prev/next, the slider, the timeline
// links and the left/right arrow keys move between steps without reloading; the elements
// waiting after the step, those it completed and the flows it took are marked on the
// diagram; the URL follows (?step=N), so that every step has its own link.
import { api } from "./api.js";
import { readData } from "./data.js";
import { renderDiagram } from "./diagram-viewer.js";

const MARKERS = ["replay-active", "replay-done", "replay-flow"];

async function start(root) {
  const frames = readData("replay-frames");
  const bySeq = new Map(frames.map((f) => [f.seq, f]));
  const last = frames.length ? frames[frames.length - 1].seq : 1;
  const slider = root.querySelector('[data-replay="slider"]');
  const prev = root.querySelector('[data-replay="prev"]');
  const next = root.querySelector('[data-replay="next"]');
  const counter = root.querySelector('[data-replay="counter"]');
  const status = root.querySelector(".diagram__status");
  let viewer = null;
  let marked = [];
  let current = Number(root.dataset.step) || 1;

  function mark() {
    if (!viewer) return;
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    for (const [id, marker] of marked) canvas.removeMarker(id, marker);
    marked = [];
    const frame = bySeq.get(current) || { active: [], completed: [], flows: [] };
    const add = (id, marker) => {
      if (registry.get(id)) { canvas.addMarker(id, marker); marked.push([id, marker]); }
    };
    for (const id of frame.completed) add(id, "replay-done");
    for (const id of frame.active) add(id, "replay-active");
    for (const [from, to] of frame.flows) {
      for (const flow of registry.filter((e) => e.type === "bpmn:SequenceFlow"
        && e.source && e.target && e.source.id === from && e.target.id === to)) add(flow.id, "replay-flow");
    }
    root.dataset.shown = String(current);
  }

  function show(seq, push = true) {
    current = Math.min(Math.max(seq, 1), last);
    for (const panel of root.querySelectorAll(".replay-step")) panel.hidden = Number(panel.dataset.seq) !== current;
    slider.value = String(current);
    counter.textContent = root.dataset.counter.replace("{n}", current).replace("{m}", last);
    prev.href = `?step=${Math.max(current - 1, 1)}`;
    next.href = `?step=${Math.min(current + 1, last)}`;
    prev.setAttribute("aria-disabled", String(current === 1));
    next.setAttribute("aria-disabled", String(current === last));
    for (const link of document.querySelectorAll("[data-replay-goto]")) {
      if (Number(link.dataset.replayGoto) === current) link.setAttribute("aria-current", "step");
      else link.removeAttribute("aria-current");
    }
    for (const input of document.querySelectorAll("[data-replay-step-input]")) input.value = String(current);
    if (push) history.replaceState(null, "", `${root.dataset.pageUrl}?step=${current}`);
    mark();
  }

  prev.addEventListener("click", (e) => { e.preventDefault(); show(current - 1); });
  next.addEventListener("click", (e) => { e.preventDefault(); show(current + 1); });
  slider.addEventListener("input", () => show(Number(slider.value)));
  for (const link of document.querySelectorAll("[data-replay-goto]")) {
    link.addEventListener("click", (e) => { e.preventDefault(); show(Number(link.dataset.replayGoto)); });
  }
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select") || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "ArrowLeft") show(current - 1);
    else if (e.key === "ArrowRight") show(current + 1);
  });
  show(current, false);
  try {
    const xml = await api(root.dataset.diagramUrl, { accept: "application/xml" });
    viewer = await renderDiagram(root.querySelector(".diagram__canvas"), xml);
    const canvas = viewer.get("canvas");
    for (const button of root.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => {
        const how = button.dataset.zoom;
        if (how === "fit") canvas.zoom("fit-viewport", "auto");
        else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
      });
    }
    mark();
    root.dataset.ready = "true";
  } catch (err) {
    status.textContent = root.dataset.error.replace("{error}", err.message);
    root.dataset.ready = "error";
  }
}

for (const root of document.querySelectorAll('[data-module="audit-replay"]')) start(root);
