// The process designer (issue 13): the bpmn-js modeler on a draft, saved on the server;
// after each change (debounced) the deploy checks run on the server and their findings
// are listed and marked on the elements at fault; a simulation in memory shows the path
// and the deadlines. Needs vendor/bpmn-js/bpmn-modeler.production.min.js (window.BpmnJS)
// and the bpmn-js CSS. The bpmn.io logo the modeler draws stays visible (licence).
//
// Data: readData("designer-data") = {key, xml, revision, base, urls: {draft, lint, simulate}, texts}.
import { api } from "./api.js";
import { readData } from "./data.js";
import { attachProperties } from "./designer-properties.js";
import { translateModule } from "./modeler-i18n.js";

const LINT_DELAY_MS = 800; // after the last change: one check per pause in editing

function fill(text, values) {
  return Object.entries(values).reduce((t, [k, v]) => t.replace(`{${k}}`, v), text);
}

function item(text, element, onPick) {
  const li = document.createElement("li");
  if (element) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.dataset.element = element;
    button.textContent = text;
    button.addEventListener("click", () => onPick(element));
    li.append(button);
  } else {
    li.textContent = text;
  }
  return li;
}

async function start(root) {
  const data = readData("designer-data");
  const t = data.texts;
  const status = root.querySelector("[data-status]");
  const lintStatus = root.querySelector("[data-lint-status]");
  const lintList = root.querySelector("[data-lint-list]");
  const deployButton = document.querySelector('[data-action="deploy"]');
  const modeler = new window.BpmnJS({
    container: root.querySelector(".designer__canvas"), additionalModules: [translateModule],
  });
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  let revision = data.revision;
  let dirty = false;
  let timer = null;
  let lintRun = 0;
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

  async function lint() {
    const run = ++lintRun;
    root.dataset.lint = "checking";
    lintStatus.textContent = t.checking;
    try {
      const { problems } = await api(data.urls.lint, { method: "POST", json: { xml: await currentXml() } });
      if (run !== lintRun) return; // a newer check is under way
      clearMarks("designer-problem");
      overlays.remove({ type: "lint" });
      lintList.replaceChildren();
      const counts = {};
      for (const p of problems) {
        const where = p.element ? `${p.element}：` : p.line ? `${fill(t.line, { line: p.line })}：` : `${t.whole}：`;
        lintList.append(item(where + p.message, registry.get(p.element || "") ? p.element : null, pick));
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
      root.dataset.lint = problems.length ? "problems" : "ok";
      lintStatus.textContent = problems.length ? fill(t.problems, { n: problems.length }) : t.ok;
    } catch (err) {
      if (run !== lintRun) return;
      root.dataset.lint = "error";
      lintStatus.textContent = fill(t.lint_failed, { error: err.message });
    }
  }
  const lintSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(lint, LINT_DELAY_MS);
  };

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
      lint();
    } catch (err) {
      status.textContent = fill(t.load_failed, { error: err.message });
    }
    input.value = "";
  }

  async function simulate() {
    const simStatus = root.querySelector("[data-sim-status]");
    const result = root.querySelector("[data-sim-result]");
    let scenario;
    try {
      scenario = JSON.parse(root.querySelector('[data-sim="data"]').value || "{}");
      if (typeof scenario !== "object" || scenario === null || Array.isArray(scenario)) throw new Error();
    } catch {
      simStatus.textContent = t.data_invalid;
      return;
    }
    const late = root.querySelector('[data-sim="late"]').value.split(/[,，\s]+/).filter(Boolean);
    simStatus.textContent = t.simulating;
    root.dataset.sim = "running";
    try {
      const run = await api(data.urls.simulate, {
        method: "POST",
        json: { xml: await currentXml(), data: scenario, late, start: root.querySelector('[data-sim="start"]').value },
      });
      clearMarks("designer-path");
      const path = root.querySelector("[data-sim-path]");
      path.replaceChildren(...run.steps.map((s) => item(`${s.at_text} ${s.name || s.kind}（${s.element}）`, s.element, pick)));
      run.steps.forEach((s) => mark(s.element, "designer-path"));
      const rows = root.querySelector("[data-sim-deadlines]");
      const labels = [...rows.closest("table").querySelectorAll("thead th")].map((th) => th.textContent);
      rows.replaceChildren(...run.deadlines.map((d) => {
        const tr = document.createElement("tr");
        [`${d.name || ""} ${d.element}`, d.attached_to || "—", d.due_text, d.outcome_text].forEach((text, i) => {
          const td = document.createElement("td");
          td.dataset.label = labels[i];
          td.textContent = text;
          tr.append(td);
        });
        tr.dataset.due = d.due_at;
        return tr;
      }));
      result.hidden = false;
      simStatus.textContent = run.error ? run.error.message
        : run.finished ? t.finished : fill(t.stopped, { elements: run.waiting_for.join("、") });
      root.dataset.sim = "done";
    } catch (err) {
      root.dataset.sim = "error";
      simStatus.textContent = err.status === 422 && err.body.problems ? t.sim_invalid
        : fill(t.sim_failed, { error: err.message });
    }
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
    lintSoon();
  });
  root.querySelector('[data-action="save"]').addEventListener("click", save);
  root.querySelector('[data-action="download"]').addEventListener("click", download);
  root.querySelector('[data-action="upload"]').addEventListener("change", (e) => upload(e.target));
  root.querySelector('[data-action="simulate"]').addEventListener("click", simulate);
  window.addEventListener("beforeunload", (e) => { if (dirty) e.preventDefault(); });
  setDirty(false);
  status.textContent = "";
  root.dataset.ready = "true";
  // for the browser tests and power users: the modeler of this page
  root.modeler = modeler;
  lint();
}

for (const root of document.querySelectorAll('[data-module="designer"]')) start(root);
