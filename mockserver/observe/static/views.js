// What answered a request (fixture with file:line, or the near-miss report), its facts, and the usage and fixture views.

import { api, clock, el, section, tokensOf, usd, warningsOf } from "./util.js";

async function fixtureSource(entry) {
  const query = new URLSearchParams({ name: entry.fixture });
  if (entry.namespace) query.set("namespace", entry.namespace);
  try {
    const found = await api(`/__mock__/fixtures/source?${query}`);
    return found.line ? `${found.source}:${found.line}` : found.source;
  } catch {
    return "a recording, or a fixture no longer loaded";
  }
}

export function outcome(entry) {
  if (entry.fixture) {
    const source = el("span", { class: "source", text: "…" });
    fixtureSource(entry).then((where) => (source.textContent = where));
    return section(
      "Answered by",
      el("p", { class: "answered", "data-testid": "fixture" }, el("span", { class: "fixture big", text: entry.fixture }), " from ", source),
    );
  }
  const report = entry.near_miss ? el("pre", { class: "near-miss", "data-testid": "near-miss", text: entry.near_miss }) : null;
  if (entry.generated) return section("No fixture matched: the reply was generated", report);
  if (entry.near_miss) return section(`No fixture matched: answered ${entry.status}`, report);
  if (entry.status >= 400) return section(`Error ${entry.status}`, el("p", { text: entry.error || "" }));
  return null;
}

export function warnings(entry) {
  const list = warningsOf(entry);
  if (!list.length) return null;
  return section("Warnings", el("ul", { class: "warnings" }, ...list.map((w) => el("li", { text: typeof w === "string" ? w : JSON.stringify(w) }))));
}

export function facts(entry) {
  const [inTokens, outTokens] = tokensOf(entry.usage);
  const pairs = [
    ["time", clock(entry.time)],
    ["model", entry.model || "—"],
    ["namespace", entry.namespace || "—"],
    ["PAT", entry.pat || "—"],
    ["latency", `${entry.latency_ms} ms`],
    ["tokens", `${inTokens} in, ${outTokens} out`],
    ["cost", usd(entry.cost_usd)],
    ["retries", entry.retry_count],
  ];
  return el("div", { class: "facts" }, ...pairs.map(([k, v]) => el("div", { class: "fact" }, el("span", { class: "k", text: k }), el("span", { class: "v", text: v }))));
}

export function raw(entry) {
  return el(
    "details",
    { class: "card raw" },
    el("summary", { text: "Raw journal entry" }),
    el("pre", { text: JSON.stringify({ ...entry, frames: `${entry.frames.length} frame(s)` }, null, 2) }),
  );
}

export async function renderUsage() {
  const data = await api("/__mock__/usage");
  document.getElementById("count-usage").textContent = data.requests || "";
  const card = (label, value) => el("div", { class: "stat" }, el("div", { class: "value", text: value }), el("div", { class: "label", text: label }));
  document.getElementById("usage-totals").replaceChildren(
    card("requests", data.requests),
    card("prompt tokens", data.prompt_tokens),
    card("completion tokens", data.completion_tokens),
    card("cost", usd(data.cost_usd)),
  );
  const lines = data.lines.slice().sort((a, b) => b.cost_usd - a.cost_usd || b.requests - a.requests);
  const row = (l) =>
    el("tr", {}, el("td", { class: "mono", text: l.pat }), el("td", { text: l.model }), el("td", { text: l.namespace ?? "—" }),
      el("td", { class: "num", text: l.requests }), el("td", { class: "num", text: l.prompt_tokens }),
      el("td", { class: "num", text: l.completion_tokens }), el("td", { class: "num", text: usd(l.cost_usd) }));
  const body = lines.length ? lines.map(row) : [el("tr", {}, el("td", { colspan: 7, class: "empty", text: "Nothing billed yet." }))];
  document.querySelector("#usage-table tbody").replaceChildren(...body);
  document.querySelector("#usage-table tfoot").replaceChildren(
    el("tr", {}, el("td", { colspan: 3, text: "Total" }), el("td", { class: "num", text: data.requests }), el("td", { class: "num", text: data.prompt_tokens }),
      el("td", { class: "num", text: data.completion_tokens }), el("td", { class: "num", text: usd(data.cost_usd) })),
  );
}

function matchSummary(match) {
  if (!match || !Object.keys(match).length) return "anything";
  return Object.entries(match).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ");
}

export async function renderFixtures() {
  const data = await api("/__mock__/fixtures");
  const list = data.fixtures;
  const never = list.filter((f) => !f.hits).length;
  document.getElementById("count-fixtures").textContent = list.length || "";
  const error = document.getElementById("reload-error");
  error.replaceChildren(
    data.reload_error ? el("div", { class: "alert" }, el("strong", { text: "The last reload failed; the previous fixtures are still answering." }), el("pre", { text: data.reload_error })) : "",
  );
  document.getElementById("fixture-summary").textContent = `${list.length} fixture(s) in resolution order; ${never} never hit (highlighted).`;
  const rows = list.map((f, i) =>
    el("tr", { class: f.hits ? "" : "never" }, el("td", { class: "num", text: i + 1 }), el("td", { class: "fixture-name", text: f.name }),
      el("td", { class: "mono", text: f.source }), el("td", { class: "match", text: matchSummary(f.match) }),
      el("td", { class: "num hits", text: f.hits ? f.hits : "never" })),
  );
  document.querySelector("#fixture-table tbody").replaceChildren(...rows);
}
