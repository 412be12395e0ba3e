// The start form of a process (cases/new.html): the deployed form rendered by the form-js
// wrapper; "提交受理" runs form-js's checks, then posts {data, business_key} as JSON to the
// page's own address, with the case's region when the clerk names one (CSRF token sent by api()). A 422's field errors from the server
// (an ID number whose check digit is wrong, say) appear on their form-js fields; on
// success the browser goes to the new case's page, where a toast says it was accepted.
import { api, ApiError } from "./api.js";
import { readData } from "./data.js";
import { renderForm } from "./form-viewer.js";

const root = document.querySelector('[data-module="case-start"]');

function fieldIds(form) {
  // form-js keys its errors by field id; the server names fields by their key.
  const ids = new Map();
  for (const f of form.get("formFieldRegistry").getAll()) if (f.key) ids.set(f.key, f.id);
  return ids;
}

function showKeyError(input, messages) {
  const wrap = input.closest(".field");
  let error = wrap.querySelector(".field__error");
  if (!messages.length) {
    if (error) error.remove();
    input.removeAttribute("aria-invalid");
    input.classList.remove("input--error");
    return;
  }
  if (!error) {
    error = document.createElement("p");
    error.className = "field__error";
    error.id = `${input.id}-error`;
    input.before(error);
    input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${error.id}`.trim());
  }
  error.textContent = messages.join("；");
  input.setAttribute("aria-invalid", "true");
  input.classList.add("input--error");
}

if (root) {
  const status = root.querySelector(".case-start__status");
  const button = root.querySelector('[data-action="start"]');
  const keyInput = root.querySelector("#business_key");
  const regionInput = root.querySelector("#region");
  const ownFields = { business_key: keyInput, region: regionInput }; // fields of the page, not of form-js
  const form = await renderForm(root.querySelector(".case-start__form"), readData(root.dataset.schema), {},
    readData(root.dataset.messages));
  const ids = fieldIds(form);
  root.dataset.ready = "true";

  const report = (count) => {
    status.textContent = root.dataset.errors.replace("{n}", count);
    status.focus();
  };

  button.addEventListener("click", async () => {
    for (const input of Object.values(ownFields)) showKeyError(input, []);
    status.textContent = "";
    const { data, errors } = form.submit();
    if (Object.keys(errors).length) {
      report(Object.keys(errors).length);
      return;
    }
    button.disabled = true;
    root.dataset.state = "sending";
    try {
      const json = { data, business_key: keyInput.value };
      if (regionInput.value.trim()) json.region = regionInput.value.trim();
      const body = await api(root.dataset.url, { method: "POST", json });
      root.dataset.state = "started";
      window.location.assign(body.url);
    } catch (err) {
      button.disabled = false;
      root.dataset.state = "refused";
      const fields = (err instanceof ApiError && err.body.details && err.body.details.fields) || null;
      if (!fields) {
        status.textContent = root.dataset.failed.replace("{error}", err.message);
        status.focus();
        return;
      }
      const onForm = {};
      let count = 0;
      for (const [key, messages] of Object.entries(fields)) {
        const list = Array.isArray(messages) ? messages.map(String) : [String(messages)];
        count += 1;
        if (ownFields[key]) showKeyError(ownFields[key], list);
        else if (ids.has(key)) onForm[ids.get(key)] = list;
        else status.textContent += ` ${key}: ${list.join("；")}`;
      }
      form._setState({ errors: onForm }); // form-js shows them under their fields
      const text = status.textContent;
      report(count);
      if (text) status.textContent += text;
    }
  });
}
