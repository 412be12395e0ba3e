// The portal's online application: the variant's start form rendered by the form-js
// wrapper (messages in the page's language), the commitment checkbox, and the submission
// with the item's materials as one multipart request to the page's own address (the data
// as JSON text, CSRF token in its header). A file over the size limit is refused on its
// field before sending; the server's 422 puts its messages on the fields it names (form
// fields and materials alike); a 201 goes to the receipt with the application number.
import { ApiError, csrfToken } from "./api.js";
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
  // form-js has no API to set an error from outside: write it under the field with that label
  // (a material's under its own upload field).
  for (const old of container.querySelectorAll(".portal-apply__server-error")) old.remove();
  let shown = 0;
  for (const [key, messages] of Object.entries(fields || {})) {
    const label = [...container.querySelectorAll(".fjs-form-field-label")]
      .find((node) => labels[key] && node.textContent.trim().replace(/\s*\*$/, "") === labels[key]);
    const holder = label ? label.closest(".fjs-form-field") : container.querySelector(`[data-material="${key}"]`);
    if (!holder) continue;
    const p = document.createElement("p");
    p.className = "field__error portal-apply__server-error";
    p.textContent = [].concat(messages).join("；");
    holder.append(p);
    shown += 1;
  }
  return shown;
}

// The application as one multipart request: the form's data as JSON text, each chosen file.
async function send(url, data, inputs) {
  const body = new FormData();
  body.append("data", JSON.stringify(data));
  for (const input of inputs) if (input.files.length) body.append(input.name, input.files[0]);
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", body,
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  });
  const type = response.headers.get("Content-Type") || "";
  const answer = type.includes("json") ? await response.json() : { message: await response.text() };
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

// Files over the size limit, named by their field, before anything is sent.
function tooLarge(materials, inputs) {
  if (!materials) return {};
  const max = Number(materials.dataset.maxBytes);
  const out = {};
  for (const input of inputs) {
    if (input.files.length && input.files[0].size > max) out[input.name] = [materials.dataset.tooLarge];
  }
  return out;
}

if (root) {
  const summary = root.querySelector("[data-errors]");
  const container = root.querySelector("[data-form]");
  const materials = root.querySelector("[data-materials]");
  const inputs = materials ? [...materials.querySelectorAll('input[type="file"]')] : [];
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
    const large = tooLarge(materials, inputs);
    serverErrors(root, large, labels);
    const count = Object.keys(errors).length + Object.keys(large).length + (commitment.checked ? 0 : 1);
    commitmentError.hidden = commitment.checked;
    if (count) {
      showErrors(summary, summary.querySelector("[data-errors-text]").dataset.count.replace("{n}", count));
      return;
    }
    button.disabled = true;
    try {
      const answer = await send(root.dataset.url, data, inputs);
      window.location.assign(answer.receipt);
    } catch (err) {
      button.disabled = false;
      const text = summary.querySelector("[data-errors-text]");
      if (err instanceof ApiError && err.status === 422) {
        const fields = (err.body.details || {}).fields || {};
        const n = serverErrors(root, fields, labels) || Object.keys(fields).length || 1;
        showErrors(summary, text.dataset.count.replace("{n}", n));
      } else if (err instanceof ApiError && err.status === 429) {
        showErrors(summary, text.dataset.limited);
      } else {
        showErrors(summary, text.dataset.failed);
      }
    }
  });
}
