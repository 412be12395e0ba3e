// The modeler page's simulation panel (issue 13): the drawing run in memory on the server
// from a start time and start data, with what each step's person or worker answers
// (task_data, by element id), the tasks left late and the messages department systems and
// applicants send (a saved scenario's parts: engine/definitions/scenarios.py reads them
// on the server; a saved scenario can be loaded into the fields). Shows the path (marked
// on the diagram), each deadline with its outcome, and the messages delivered.
//
// attachSimulation(root, {url, texts, scenarios, currentXml, pick, mark, clearMarks}).
import { api } from "./api.js";
import { fill, listItem } from "./designer-lint.js";

const field = (root, name) => root.querySelector(`[data-sim="${name}"]`);

/** The JSON in field `name` (`empty` when blank) if it is of `kind` ("object" or "list"); else null. */
function jsonField(root, name, kind, empty) {
  try {
    const value = JSON.parse(field(root, name).value.trim() || empty);
    const ok = kind === "list" ? Array.isArray(value)
      : typeof value === "object" && value !== null && !Array.isArray(value);
    return ok ? value : null;
  } catch {
    return null;
  }
}

function tableRows(rows, items, cells) {
  const labels = [...rows.closest("table").querySelectorAll("thead th")].map((th) => th.textContent);
  rows.replaceChildren(...items.map((item) => {
    const tr = document.createElement("tr");
    cells(item).forEach((text, i) => {
      const td = document.createElement("td");
      td.dataset.label = labels[i];
      td.textContent = text;
      tr.append(td);
    });
    return tr;
  }));
  return [...rows.children];
}

/** The fields filled from a saved scenario (its JSON as saved on the scenarios page). */
function load(root, scenario) {
  const pretty = (value) => JSON.stringify(value, null, 2);
  if (scenario.start) field(root, "start").value = String(scenario.start).slice(0, 16);
  field(root, "data").value = pretty(scenario.data || {});
  field(root, "task_data").value = pretty(scenario.task_data || {});
  field(root, "late").value = (scenario.late || []).join(", ");
  field(root, "messages").value = pretty(scenario.messages || []);
}

export function attachSimulation(root, { url, texts: t, scenarios, currentXml, pick, mark, clearMarks }) {
  const status = root.querySelector("[data-sim-status]");
  const result = root.querySelector("[data-sim-result]");
  const chooser = field(root, "scenario");
  if (chooser) {
    chooser.addEventListener("change", () => {
      const saved = scenarios.find((s) => s.name === chooser.value);
      if (saved) load(root, saved.scenario);
    });
  }

  async function simulate() {
    const data = jsonField(root, "data", "object", "{}");
    const taskData = jsonField(root, "task_data", "object", "{}");
    const messages = jsonField(root, "messages", "list", "[]");
    const bad = data === null ? t.data_invalid : taskData === null ? t.task_data_invalid
      : messages === null ? t.messages_invalid : null;
    if (bad) {
      status.textContent = bad;
      root.dataset.sim = "invalid";
      return;
    }
    const late = field(root, "late").value.split(/[,，\s]+/).filter(Boolean);
    status.textContent = t.simulating;
    root.dataset.sim = "running";
    try {
      const run = await api(url, {
        method: "POST",
        json: { xml: await currentXml(), data, late, start: field(root, "start").value, task_data: taskData, messages },
      });
      clearMarks("designer-path");
      root.querySelector("[data-sim-path]").replaceChildren(...run.steps.map((s) =>
        listItem(`${s.at_text} ${s.name || s.kind}（${s.element}）`, s.element, pick)));
      run.steps.forEach((s) => mark(s.element, "designer-path"));
      tableRows(root.querySelector("[data-sim-deadlines]"), run.deadlines,
        (d) => [`${d.name || ""} ${d.element}`, d.attached_to || "—", d.due_text, d.outcome_text])
        .forEach((tr, i) => { tr.dataset.due = run.deadlines[i].due_at; });
      const delivered = root.querySelector("[data-sim-messages]");
      delivered.hidden = run.messages.length === 0;
      tableRows(delivered.querySelector("tbody"), run.messages, (m) => [m.name, m.element || "—", m.delivered_text])
        .forEach((tr, i) => { tr.dataset.message = run.messages[i].name; });
      result.hidden = false;
      status.textContent = run.error ? run.error.message
        : run.finished ? t.finished : fill(t.stopped, { elements: run.waiting_for.join("、") });
      root.dataset.sim = "done";
    } catch (err) {
      root.dataset.sim = "error";
      // a bad message or answer: the server's message names the field (scenario.messages[0].at …)
      status.textContent = err.status === 422 && err.body.problems ? t.sim_invalid
        : fill(t.sim_failed, { error: err.message });
    }
  }
  root.querySelector('[data-action="simulate"]').addEventListener("click", simulate);
}
