// Behaviour every page shares; each page part that needs script marks itself with
// data-module / data-* attributes (no inline script: the CSP forbids it).

function focusErrorSummary() {
  // GOV.UK pattern: after a failed submit, focus moves to the summary, whose links lead to the fields.
  const summary = document.querySelector('[data-module="error-summary"]');
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    if (!link) return;
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    // Show the field's label too, not only the input.
    const field = target.closest(".field") || target;
    field.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });
}

function dismissibleToasts() {
  document.addEventListener("click", (event) => {
    const button = event.target.closest('[data-dismiss="toast"]');
    if (button) button.closest(".toast").hidden = true;
  });
}

function confirmations() {
  // <form data-confirm="…">: ask before a consequential action (disabling an account).
  document.addEventListener("submit", (event) => {
    // A button that changes nothing (a preview) submits the same form without the question.
    if (event.submitter && event.submitter.hasAttribute("data-no-confirm")) return;
    const text = event.target.dataset ? event.target.dataset.confirm : "";
    if (text && !window.confirm(text)) event.preventDefault();
  });
}

function backLinks() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
}

focusErrorSummary();
dismissibleToasts();
confirmations();
backLinks();
