// The form-js wrapper: renders a form-js schema with data into an element, in the page's
// language. form-js has no i18n for its own validation messages ("Field is required."),
// so a small form-js module wraps its validator and replaces each message it produces
// with ours: [{en, text}] pairs from web/formjs.py, where {x} and {y} stand for the
// numbers or pattern form-js inserts. Needs vendor/form-js/form-viewer.umd.js loaded
// first (window.FormViewer) and vendor/form-js/form-js.css. The bpmn.io logo form-js
// draws under each form stays visible (licence).

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// translator([{en, text}]) -> function(message) -> the message in the page's language
export function translator(messages) {
  const rules = messages.map(({ en, text }) => {
    const names = [];
    const source = escapeRegExp(en).replace(/\\\{(\w+)\\\}/g, (_, name) => {
      names.push(name);
      return "(.+?)";
    });
    return { pattern: new RegExp(`^${source}$`), names, text };
  });
  return (message) => {
    for (const rule of rules) {
      const found = rule.pattern.exec(message);
      if (found) {
        return rule.names.reduce((out, name, i) => out.split(`{${name}}`).join(found[i + 1]), rule.text);
      }
    }
    return message; // a designer's own patternErrorMessage, already in the form's language
  };
}

// A form-js (didi) module whose start-up wraps the `validator` service.
function translatingModule(translate) {
  function TranslateValidation(validator) {
    for (const name of ["validateField", "validateFieldInstance"]) {
      const original = validator[name].bind(validator);
      validator[name] = (...args) => original(...args).map(translate);
    }
  }
  TranslateValidation.$inject = ["validator"];
  return { __init__: ["translateValidation"], translateValidation: ["type", TranslateValidation] };
}

// form-js writes a few words into its controls ("Select", a "Search" placeholder): they
// are replaced as they appear, since form-js re-renders them on every change.
function translateControls(container, labels) {
  // Only words that change: writing a text node fires the observer again.
  const words = new Map(labels.filter(({ en, text }) => en !== text).map(({ en, text }) => [en, text]));
  if (!words.size) return;
  const fix = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = words.get(node.nodeValue.trim());
      if (text && node.nodeValue !== text) node.nodeValue = text;
    }
    for (const input of root.querySelectorAll("input[placeholder]")) {
      const text = words.get(input.placeholder);
      if (text) input.placeholder = text;
    }
  };
  fix(container);
  new MutationObserver(() => fix(container)).observe(container, { childList: true, subtree: true, characterData: true });
}

// renderForm(element, schema, data, {messages, labels, readOnly}) -> the form-js Form
// (form.validate() shows and returns {fieldId: [messages]}; form.submit() returns {data, errors}).
// `messages` and `labels` come from web/formjs.py's form_messages() (a json_data block).
export async function renderForm(container, schema, data = {}, { messages = [], labels = [], readOnly = false } = {}) {
  if (!window.FormViewer) throw new Error("vendor/form-js/form-viewer.umd.js is not loaded");
  const form = new window.FormViewer.Form({
    container,
    additionalModules: [translatingModule(translator(messages))],
  });
  await form.importSchema(schema, data);
  if (readOnly) form.setProperty("readOnly", true);
  translateControls(container, labels);
  return form;
}
