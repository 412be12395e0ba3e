// The designer's deploy-check panel (issue 13), one part for the diagram, table and form
// editors (templates/designer/_lint_panel.html draws its section): after each change,
// once editing pauses, the editor's content goes to the server's deploy checks; the
// problems are listed (an element the editor can show is a button that shows it) and
// counted in the status line. The module root carries data-lint = checking | ok |
// problems | error for the page's tests and styles.
//
// lintPanel(root, {texts, check, pick, onProblems}) → {run, soon}:
//   check()            resolves to the problems [{element?, line?, message}]
//   pick(id)           optional: shows element `id`; given, listed elements are buttons
//   canPick(id)        optional: whether `id` can be shown (default: always)
//   onProblems(list)   optional: after each check, e.g. to mark the elements at fault
const LINT_DELAY_MS = 800; // after the last change: one check per pause in editing

/** `text` with each {name} replaced by values[name]. */
export function fill(text, values) {
  return Object.entries(values).reduce((t, [k, v]) => t.replace(`{${k}}`, v), text);
}

/** A list item: a button showing `element` when `onPick` is given, else plain text. */
export function listItem(text, element, onPick) {
  const li = document.createElement("li");
  if (element && onPick) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.dataset.element = element;
    button.textContent = text;
    button.addEventListener("click", () => onPick(element));
    li.append(button);
  } else {
    li.textContent = text;
    if (element) li.dataset.element = element;
  }
  return li;
}

/** Where a problem is: its element, its line, or the whole file. */
function where(problem, t) {
  if (problem.element) return `${problem.element}：`;
  return problem.line ? `${fill(t.line, { line: problem.line })}：` : `${t.whole}：`;
}

export function lintPanel(root, { texts: t, check, pick = null, canPick = () => true, onProblems = () => {} }) {
  const status = root.querySelector("[data-lint-status]");
  const list = root.querySelector("[data-lint-list]");
  let run = 0;
  let timer = null;

  async function lint() {
    const mine = ++run;
    root.dataset.lint = "checking";
    status.textContent = t.checking;
    try {
      const problems = await check();
      if (mine !== run) return; // a newer check is under way
      list.replaceChildren(...problems.map((p) => listItem(where(p, t) + p.message,
        p.element || null, pick && p.element && canPick(p.element) ? pick : null)));
      onProblems(problems);
      root.dataset.lint = problems.length ? "problems" : "ok";
      status.textContent = problems.length ? fill(t.problems, { n: problems.length }) : t.ok;
    } catch (err) {
      if (mine !== run) return;
      root.dataset.lint = "error";
      status.textContent = fill(t.lint_failed, { error: err.message });
    }
  }
  return {
    run: lint,
    soon: () => {
      clearTimeout(timer);
      timer = setTimeout(lint, LINT_DELAY_MS);
    },
  };
}
