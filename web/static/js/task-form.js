// The task page's form: form-js renders the task's form pre-filled with the task's data
// (and the user's draft); changes are saved as a draft on the server a few seconds after
// the last change and by the "save draft" button; "submit" sends the data to the server,
// which validates it against the same form definition: its 422 field messages are put
// on the fields (form-js's own error display) and listed in an error summary that takes
// focus (GOV.UK pattern). A "not one of the options" message names the allowed options.
import { api, ApiError } from "./api.js";
import { readData } from "./data.js";
import { renderForm } from "./form-viewer.js";

const AUTOSAVE_MS = 3000;
const NOT_OPTION = "not one of the options";

function fields(form) {
  return form.get("formFieldRegistry").getAll();
}

// What the server accepts: the form's values without read-only fields (refused if sent).
function submittable(form, data) {
  const readonly = new Set(fields(form).filter((f) => f.readonly === true && f.key).map((f) => f.key));
  return Object.fromEntries(Object.entries(data).filter(([key]) => !readonly.has(key)));
}

// The first control of a field (found by its label: form-js's DOM ids are its own), for
// the error summary's links.
function focusFieldIn(container, field) {
  const label = [...container.querySelectorAll(".fjs-form-field-label, label")]
    .find((l) => l.textContent.replace("*", "").trim() === String(field.label || "").trim());
  const wrapper = label && label.closest(".fjs-form-field");
  const input = wrapper && wrapper.querySelector("input, select, textarea");
  if (input) {
    wrapper.scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  }
}

function optionLabels(field) {
  return (field && Array.isArray(field.values) ? field.values : []).map((v) => v.label || String(v.value));
}

async function start(root) {
  const container = root.querySelector(".task-form__form");
  const readOnly = root.dataset.readonly === "true";
  const form = await renderForm(container, readData(root.dataset.schema), readData(root.dataset.data),
    { ...readData(root.dataset.messages), readOnly });
  const status = root.querySelector("[data-status]");
  const summary = root.querySelector("[data-summary]");
  const say = (text) => { if (status) status.textContent = text; };
  const focusField = (field) => focusFieldIn(container, field);

  // Server field messages onto form-js's fields; fields it does not know go to the summary only.
  function showErrors(byKey, message) {
    const byField = new Map(fields(form).filter((f) => f.key).map((f) => [f.key, f]));
    const errors = {};
    const list = summary.querySelector("ul");
    list.replaceChildren();
    for (const [key, raw] of Object.entries(byKey)) {
      const messages = (Array.isArray(raw) ? raw : [raw]).map((m) => {
        const text = String(m);
        const field = byField.get(key);
        return text.includes(NOT_OPTION) && field
          ? `${text}；${root.dataset.options.replace("{options}", optionLabels(field).join("、"))}` : text;
      });
      const field = byField.get(key);
      if (field) errors[field.id] = messages;
      const item = document.createElement("li");
      const label = field && field.label ? `${field.label}：` : `${key}：`;
      if (field) {
        const link = document.createElement("a");
        link.href = "#";
        link.textContent = label + messages.join("；");
        link.addEventListener("click", (event) => {
          event.preventDefault();
          focusField(field);
        });
        item.append(link);
      } else {
        item.textContent = label + messages.join("；");
      }
      list.append(item);
    }
    if (!list.children.length && message) {
      const item = document.createElement("li");
      item.textContent = message;
      list.append(item);
    }
    form._setState({ errors }); // form-js shows them under each field, with aria-describedby
    summary.hidden = false;
    summary.focus();
  }

  if (readOnly) {
    root.dataset.ready = "true";
    return;
  }

  let timer = null;
  let saving = Promise.resolve();
  async function saveDraft() {
    clearTimeout(timer);
    timer = null;
    say(root.dataset.saving);
    saving = api(root.dataset.draftUrl, { method: "POST", json: { data: form._getState().data } })
      .then((out) => say(root.dataset.saved.replace("{time}", out.saved_at_text)))
      .catch((err) => say(root.dataset.saveFailed.replace("{message}", err.message)));
    return saving;
  }
  form.on("changed", () => {
    clearTimeout(timer);
    timer = setTimeout(saveDraft, AUTOSAVE_MS);
  });
  root.querySelector('[data-action="save"]').addEventListener("click", saveDraft);

  const submit = root.querySelector('[data-action="complete"]');
  submit.addEventListener("click", async () => {
    const { data, errors } = form.submit();
    if (Object.keys(errors).length) {
      const byKey = {};
      for (const f of fields(form)) if (errors[f.id]) byKey[f.key] = errors[f.id];
      showErrors(byKey);
      return;
    }
    clearTimeout(timer);
    await saving; // a draft save still under way must not land after the completion
    submit.disabled = true;
    try {
      const out = await api(root.dataset.completeUrl, { method: "POST", json: { data: submittable(form, data) } });
      window.location.assign(out.next);
    } catch (err) {
      submit.disabled = false;
      if (err instanceof ApiError && err.body.details && err.body.details.fields) {
        showErrors(err.body.details.fields, err.message);
      } else {
        showErrors({}, root.dataset.failed.replace("{message}", err.message));
      }
    }
  });
  root.dataset.ready = "true";
}

const root = document.querySelector('[data-module="task-form"]');
if (root) await start(root);
