// What the example pages share: query-string settings (so a link can prefill and start a page),
// a log, and `window.example`, where the pages keep what happened for people and tests to read.
export const params = new URLSearchParams(location.search);
export const example = (window.example = { ready: false, log: [], errors: [] });

/** Fills each `<input id=...>` from the query string. */
export function prefill(ids) {
  for (const id of ids) if (params.has(id)) document.getElementById(id).value = params.get(id);
}

export function value(id) {
  return document.getElementById(id).value.trim();
}

export function log(text, isError = false) {
  const line = `${new Date().toLocaleTimeString()}  ${text}`;
  (isError ? example.errors : example.log).push(text);
  const el = document.createElement("div");
  el.textContent = line;
  if (isError) el.className = "err";
  document.getElementById("log").prepend(el);
}

export function logError(e) {
  log(`${e.code ?? "ERROR"}: ${e.message}`, true);
}
