// New tasks announced without a reload: every `data-seconds` the list asks the server how
// many tasks offered to the user's groups and held by nobody arrived since the page was
// rendered (`data-since`), and shows a toast "有 N 个新任务" with a link when there are any.
import { api } from "./api.js";

const root = document.querySelector('[data-module="tasks-poll"]');
if (root) {
  const toast = root.querySelector(".toast");
  const text = toast.querySelector(".toast__text");
  let shown = 0;
  const poll = async () => {
    try {
      const url = `${root.dataset.url}?since=${encodeURIComponent(root.dataset.since)}`;
      const { count } = await api(url);
      if (count > 0 && count !== shown) {
        shown = count;
        text.textContent = root.dataset.text.replace("{n}", count);
        toast.hidden = false;
      }
    } catch {
      // A failed poll (offline, signed out) says nothing: the next one tries again.
    }
  };
  setInterval(poll, Number(root.dataset.seconds) * 1000);
}
