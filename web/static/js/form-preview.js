// The form preview page (designers): the deployed form rendered by the form-js wrapper,
// a "check" button that runs form-js's checks (messages in the page's language) and
// shows the data as it would be submitted. Nothing is sent anywhere.
import { readData } from "./data.js";
import { renderForm } from "./form-viewer.js";

const root = document.querySelector('[data-module="form-preview"]');
if (root) {
  const result = root.querySelector(".form-preview__result");
  const output = root.querySelector("[data-output]");
  const form = await renderForm(root.querySelector(".form-preview__form"), readData(root.dataset.schema), {},
    readData(root.dataset.messages));
  root.dataset.ready = "true";
  root.querySelector('[data-action="check"]').addEventListener("click", () => {
    const { data, errors } = form.submit();
    const count = Object.keys(errors).length;
    result.textContent = count ? result.dataset.errors.replace("{n}", count) : result.dataset.ok;
    output.textContent = JSON.stringify(data, null, 2);
  });
}
