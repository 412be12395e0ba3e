// The process designer (issue 13): the bpmn-js modeler on a draft, saved on the server;
// after each change (debounced) the deploy checks run on the server and their findings
// are listed and marked on the elements at fault (designer-lint.js); a simulation in
// memory shows the path, the deadlines and the messages (designer-simulate.js). Needs
// vendor/bpmn-js/bpmn-modeler.production.min.js (window.BpmnJS) and the bpmn-js CSS.
// The bpmn.io logo the modeler draws stays visible (licence).
//
// Data: readData("designer-data") = {key, xml, revision, base, urls: {draft, lint, simulate}, texts,
//   scenarios: [{name, scenario}] (the saved ones, to load into the simulation)}.
import { api } from "./api.js";
import { readData } from "./data.js";
import { fill, lintPanel } from "./designer-lint.js";
import { attachProperties } from "./designer-properties.js";
import { attachSimulation } from "./designer-simulate.js";
import { translateModule } from "./modeler-i18n.js";

async function start(root) {
  const data = readData("designer-data");
  const t = data.texts;
  const status = root.querySelector("[data-status]");
  const deployButton = document.querySelector('[data-action="deploy"]');
  const modeler = new window.BpmnJS({
    container: root.querySelector(".designer__canvas"), additionalModules: [translateModule],
  });
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  let revision = data.revision;
  let dirty = false;
  let marked = [];

  const setDirty = (value) => {
    dirty = value;
    root.dataset.dirty = String(value);
    if (deployButton) deployButton.disabled = value || revision === null;
    if (value) status.textContent = t.unsaved;
  };
  const pick = (id) => {
    const element = registry.get(id);
    if (!element) return;
    modeler.get("selection").select(element);
    if (canvas.scrollToElement) canvas.scrollToElement(element);
  };
  const currentXml = async () => (await modeler.saveXML({ format: true })).xml;

  const clearMarks = (marker) => {
    for (const id of marked.filter((m) => m.marker === marker).map((m) => m.id)) {
      if (registry.get(id)) canvas.removeMarker(id, marker);
    }
    marked = marked.filter((m) => m.marker !== marker);
  };
  const mark = (id, marker) => {
    if (!id || !registry.get(id)) return false;
    canvas.addMarker(id, marker);
    marked.push({ id, marker });
    return true;
  };

  // the deploy checks' panel (designer-lint.js): problems marked on their elements, with a count
  const lint = lintPanel(root, {
    texts: t,
    check: async () => (await api(data.urls.lint, { method: "POST", json: { xml: await currentXml() } })).problems,
    pick,
    canPick: (id) => !!registry.get(id),
    onProblems: (problems) => {
      clearMarks("designer-problem");
      overlays.remove({ type: "lint" });
      const counts = {};
      for (const p of problems) {
        if (mark(p.element, "designer-problem")) counts[p.element] = (counts[p.element] || 0) + 1;
      }
      for (const [id, n] of Object.entries(counts)) {
        const badge = document.createElement("span");
        badge.className = "designer-badge";
        badge.dataset.problemFor = id;
        badge.textContent = String(n);
        badge.title = problems.filter((p) => p.element === id).map((p) => p.message).join("\n");
        overlays.add(id, "lint", { position: { top: -10, right: 10 }, html: badge });
      }
    },
  });

  async function save() {
    status.textContent = t.saving;
    try {
      const saved = await api(data.urls.draft, {
        method: "POST", json: { xml: await currentXml(), revision, base: data.base },
      });
      revision = saved.revision;
      setDirty(false);
      status.textContent = fill(t.saved, { time: new Date(saved.saved_at).toLocaleTimeString() });
      root.dataset.saved = String(revision);
    } catch (err) {
      status.textContent = fill(t.save_failed, { error: err.message });
    }
  }

  async function download() {
    const blob = new Blob([await currentXml()], { type: "application/xml" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${data.key}.bpmn`;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  async function upload(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    try {
      await modeler.importXML(await file.text());
      canvas.zoom("fit-viewport", "auto");
      setDirty(true);
      lint.run();
    } catch (err) {
      status.textContent = fill(t.load_failed, { error: err.message });
    }
    input.value = "";
  }

  try {
    await modeler.importXML(data.xml);
    canvas.zoom("fit-viewport", "auto");
  } catch (err) {
    status.textContent = fill(t.load_failed, { error: err.message });
    root.dataset.ready = "error";
    return;
  }
  attachProperties(modeler, root.querySelector("[data-properties]"), t);
  modeler.on("commandStack.changed", () => {
    setDirty(true);
    lint.soon();
  });
  root.querySelector('[data-action="save"]').addEventListener("click", save);
  root.querySelector('[data-action="download"]').addEventListener("click", download);
  root.querySelector('[data-action="upload"]').addEventListener("change", (e) => upload(e.target));
  attachSimulation(root, {
    url: data.urls.simulate, texts: t, scenarios: data.scenarios || [], currentXml, pick, mark, clearMarks,
  });
  window.addEventListener("beforeunload", (e) => { if (dirty) e.preventDefault(); });
  setDirty(false);
  status.textContent = "";
  root.dataset.ready = "true";
  // for the browser tests and power users: the modeler of this page
  root.modeler = modeler;
  lint.run();
}

for (const root of document.querySelectorAll('[data-module="designer"]')) start(root);
