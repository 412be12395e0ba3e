// The portal's online application: the variant's start form rendered by the form-js
// wrapper (messages in the page's language), the commitment checkbox, and the submission
// as JSON to the page's own address (CSRF token by api()). The server's 422 puts its
// messages on the fields it names; a 201 goes to the receipt with the application number.
import { api, ApiError } from "./api.js";
import { readData } from "./data.js";
import { renderForm } from "./form-viewer.js";

const root = document.querySelector('[data-module="portal-apply"]');

function showErrors(summary, text) {
  summary.querySelector("[data-errors-text]").textContent = text;
  summary.hidden = false;
  summary.focus();
}

// The label of each field key, from the schema (form-js ids its inputs by component id, not key).
function labelsByKey(schema) {
  const out = {};
  const walk = (components) => {
    for (const c of components || []) {
      if (c.key && c.label) out[c.key] = c.label;
      walk(c.components);
    }
  };
  walk(schema.components);
  return out;
}

function serverErrors(container, fields, labels) {
  // form-js has no API to set an error from outside: write it under the field with that label.
  for (const old of container.querySelectorAll(".portal-apply__server-error")) old.remove();
  let shown = 0;
  for (const [key, messages] of Object.entries(fields || {})) {
    const label = [...container.querySelectorAll(".fjs-form-field-label")]
      .find((node) => labels[key] && node.textContent.trim().replace(/\s*\*$/, "") === labels[key]);
    const holder = label ? label.closest(".fjs-form-field") : null;
    if (!holder) continue;
    const p = document.createElement("p");
    p.className = "field__error portal-apply__server-error";
    p.textContent = [].concat(messages).join("；");
    holder.append(p);
    shown += 1;
  }
  return shown;
}

if (root) {
  const summary = root.querySelector("[data-errors]");
  const container = root.querySelector("[data-form]");
  const commitment = root.querySelector("[data-commitment]");
  const commitmentError = root.querySelector("[data-commitment-error]");
  const messages = readData(root.dataset.messages);
  const schema = readData(root.dataset.schema);
  const labels = labelsByKey(schema);
  const form = await renderForm(container, schema, readData(root.dataset.data), messages);
  root.dataset.ready = "true";
  const button = root.querySelector('[data-action="submit"]');
  button.addEventListener("click", async () => {
    const { data, errors } = form.submit();
    const count = Object.keys(errors).length + (commitment.checked ? 0 : 1);
    commitmentError.hidden = commitment.checked;
    if (count) {
      showErrors(summary, summary.querySelector("[data-errors-text]").dataset.count.replace("{n}", count));
      return;
    }
    button.disabled = true;
    try {
      const answer = await api(root.dataset.url, { method: "POST", json: data });
      window.location.assign(answer.receipt);
    } catch (err) {
      button.disabled = false;
      const text = summary.querySelector("[data-errors-text]");
      if (err instanceof ApiError && err.status === 422) {
        const fields = (err.body.details || {}).fields || {};
        const n = serverErrors(container, fields, labels) || Object.keys(fields).length || 1;
        showErrors(summary, text.dataset.count.replace("{n}", n));
      } else if (err instanceof ApiError && err.status === 429) {
        showErrors(summary, text.dataset.limited);
      } else {
        showErrors(summary, text.dataset.failed);
      }
    }
  });
}
