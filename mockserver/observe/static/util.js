// Small helpers the inspector's views share: building elements, calling the control API, formatting.

const TOKEN = new URLSearchParams(location.search).get("token");

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export async function api(path) {
  const headers = TOKEN ? { "x-mock-control-token": TOKEN } : {};
  const response = await fetch(path, { headers, cache: "no-store" });
  if (!response.ok) throw new Error(`${path.split("?")[0]} answered HTTP ${response.status}`);
  return response.json();
}

export function clock(seconds) {
  const d = new Date(seconds * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function shortModel(model) {
  return model ? model.split("/").pop() : "—";
}

export function usd(value) {
  if (!value) return "$0";
  return value < 0.01 ? `$${value.toPrecision(3)}` : `$${value.toFixed(4)}`;
}

export function pretty(text) {
  if (typeof text !== "string") return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function tokensOf(usage) {
  if (!usage) return [0, 0];
  return [usage.prompt_tokens ?? usage.input_tokens ?? 0, usage.completion_tokens ?? usage.output_tokens ?? 0];
}

export function warningsOf(entry) {
  return Array.isArray(entry.warnings) ? entry.warnings : [];
}

export function fixtureLabel(entry) {
  if (entry.fixture) return entry.fixture;
  if (entry.generated) return "(generated)";
  return entry.near_miss ? "(no match)" : "(none)";
}

export function isProblem(entry) {
  return Boolean(entry.near_miss || entry.generated || warningsOf(entry).length);
}

export function statusClass(status) {
  if (status >= 500 || status === 0) return "bad";
  if (status >= 400) return "warn";
  return "ok";
}

export function setLive(ok, text) {
  const live = document.getElementById("live");
  live.textContent = text;
  live.className = ok ? "live" : "live offline";
}

export function section(title, ...children) {
  return el("section", { class: "card" }, el("h3", { text: title }), ...children);
}
