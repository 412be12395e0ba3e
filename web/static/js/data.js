// Data a page hands its module without an inline script (CSP): a JSON block written by
// the `json_data` macro (parts/data.html), which the browser never runs.
export function readData(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`no data block #${id}`);
  return JSON.parse(node.textContent);
}
