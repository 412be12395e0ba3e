// The designer's routing table and form editors (issue 13): dmn-js (window.DmnJS) on a
// .dmn file, the form-js editor (window.FormEditor) on a form's .json; drafts saved on
// the server, the deploy checks run on the server after each change (debounced), the
// file downloaded or replaced by an upload. Labels in the page's language (modeler-i18n.js).
//
// Data: readData("file-data") = {name, kind: "dmn"|"form", content, revision, urls: {draft, lint}, texts}.
import { api } from "./api.js";
import { readData } from "./data.js";
import { fill, lintPanel } from "./designer-lint.js";
import { renderForm } from "./form-viewer.js";
import { formPropertiesModule, translateFormFields, translateModule, translatePalette } from "./modeler-i18n.js";

/** The table editor: open, read back, listen for changes. */
async function dmnEditor(container, content, onChange) {
  // dmn-js takes each view's modules from that view's options (not from `common`)
  const views = ["drd", "decisionTable", "literalExpression", "boxedExpression"];
  const modeler = new window.DmnJS({
    container, ...Object.fromEntries(views.map((view) => [view, { additionalModules: [translateModule] }])),
  });
  await modeler.importXML(content);
  const watch = () => {
    const viewer = modeler.getActiveViewer();
    if (viewer) viewer.get("eventBus").on("elements.changed", onChange);
  };
  watch();
  modeler.on("views.changed", watch);
  return {
    instance: modeler,
    read: async () => (await modeler.saveXML({ format: true })).xml,
    load: async (text) => { await modeler.importXML(text); watch(); },
  };
}

/** The form editor: open, read back, listen for changes. */
async function formEditor(container, content, onChange) {
  translateFormFields(window.FormEditor.FormEditor);
  const editor = new window.FormEditor.FormEditor({
    container, additionalModules: [translateModule, formPropertiesModule],
  });
  await editor.importSchema(JSON.parse(content));
  translatePalette(container);
  editor.on("changed", onChange);
  return {
    instance: editor,
    read: async () => `${JSON.stringify(editor.saveSchema(), null, 2)}\n`,
    load: async (text) => { await editor.importSchema(JSON.parse(text)); },
  };
}

/** The form as staff will see it, filled in and checked here (the form-js viewer with
 * this app's messages, as on the form preview page); nothing is sent. */
function tryOut(section, schema) {
  const result = section.querySelector("[data-try-result]");
  const output = section.querySelector("[data-try-output]");
  const check = section.querySelector('[data-action="check"]');
  let form = null;
  section.querySelector('[data-action="try"]').addEventListener("click", async () => {
    if (form) form.destroy();
    result.textContent = "";
    output.textContent = "";
    form = await renderForm(section.querySelector("[data-try-form]"), schema(), {}, readData("form-messages"));
    check.disabled = false;
    section.dataset.ready = "true";
  });
  check.addEventListener("click", () => {
    const { data, errors } = form.submit();
    const count = Object.keys(errors).length;
    result.textContent = count ? result.dataset.errors.replace("{n}", count) : result.dataset.ok;
    output.textContent = JSON.stringify(data, null, 2);
  });
}

async function start(root) {
  const data = readData("file-data");
  const t = data.texts;
  const status = root.querySelector("[data-status]");
  const deployButton = document.querySelector('[data-action="deploy"]');
  let revision = data.revision;
  let dirty = false;
  let editor = null;

  const setDirty = (value) => {
    dirty = value;
    root.dataset.dirty = String(value);
    if (deployButton) deployButton.disabled = value || revision === null;
    if (value) status.textContent = t.unsaved;
  };

  // the deploy checks' panel (designer-lint.js): the file's own checks and its processes'
  const lint = lintPanel(root, {
    texts: t,
    check: async () => (await api(data.urls.lint, { method: "POST", json: { content: await editor.read() } })).problems,
  });
  const changed = () => {
    setDirty(true);
    lint.soon();
  };

  async function save() {
    status.textContent = t.saving;
    try {
      const saved = await api(data.urls.draft, { method: "POST", json: { content: await editor.read(), revision } });
      revision = saved.revision;
      setDirty(false);
      status.textContent = fill(t.saved, { time: new Date(saved.saved_at).toLocaleTimeString() });
      root.dataset.saved = String(revision);
    } catch (err) {
      status.textContent = fill(t.save_failed, { error: err.message });
    }
  }

  async function download() {
    const blob = new Blob([await editor.read()], { type: data.kind === "dmn" ? "application/xml" : "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = data.name.split("/").pop();
    link.click();
    URL.revokeObjectURL(link.href);
  }

  async function upload(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    const ext = data.kind === "dmn" ? ".dmn" : ".json";
    if (!file.name.toLowerCase().endsWith(ext) && !(data.kind === "dmn" && file.name.endsWith(".xml"))) {
      status.textContent = fill(t.upload_wrong, { ext });
    } else {
      try {
        await editor.load(await file.text());
        changed();
        lint.run();
      } catch (err) {
        status.textContent = fill(t.load_failed, { error: err.message });
      }
    }
    input.value = "";
  }

  try {
    const container = root.querySelector("[data-editor]");
    editor = await (data.kind === "dmn" ? dmnEditor : formEditor)(container, data.content, changed);
  } catch (err) {
    status.textContent = fill(t.load_failed, { error: err.message });
    root.dataset.ready = "error";
    return;
  }
  root.querySelector('[data-action="save"]').addEventListener("click", save);
  root.querySelector('[data-action="download"]').addEventListener("click", download);
  root.querySelector('[data-action="upload"]').addEventListener("change", (e) => upload(e.target));
  window.addEventListener("beforeunload", (e) => { if (dirty) e.preventDefault(); });
  setDirty(false);
  status.textContent = "";
  const playground = root.querySelector("[data-playground]");
  if (playground) tryOut(playground, () => editor.instance.saveSchema());
  root.dataset.ready = "true";
  root.editor = editor.instance; // for the browser tests and power users
  lint.run();
}

for (const root of document.querySelectorAll('[data-module="designer-file"]')) start(root);
