// The clarifai-mock inspector: polls the control API (journal, usage, fixtures) and shows it. No build step:
// plain ES modules, served by the mock itself.

import { frames, toolsOffered, transcript } from "./transcript.js";
import {
  api,
  clock,
  el,
  fixtureLabel,
  isProblem,
  section,
  setLive,
  shortModel,
  statusClass,
  tokensOf,
  warningsOf,
} from "./util.js";
import { facts, outcome, raw, renderFixtures, renderUsage, warnings } from "./views.js";

const POLL_MS = 1000;
const KEEP = 2000; // requests the page remembers, also after a test's namespace has left the journal
const NONE = "\u0000none";

const state = {
  entries: [],
  after: 0,
  selected: null,
  view: "requests",
  listKey: "",
  optionsKey: "",
  detailKey: "",
};

function filters() {
  const form = document.getElementById("filters");
  return {
    namespace: form.namespace.value,
    model: form.model.value,
    fixture: form.fixture.value,
    status: form.status.value,
    problems: form.problems.checked,
  };
}

function fillSelect(select, values, label) {
  const chosen = select.value;
  const options = [el("option", { value: "", text: "any" })];
  for (const value of [...values].sort()) options.push(el("option", { value, text: label(value) }));
  select.replaceChildren(...options);
  select.value = values.has(chosen) ? chosen : "";
}

function refreshFilterOptions() {
  const form = document.getElementById("filters");
  const spaces = new Set(state.entries.map((e) => e.namespace ?? NONE));
  const models = new Set(state.entries.map((e) => e.model).filter(Boolean));
  const fixtures = new Set(state.entries.map(fixtureLabel));
  const key = JSON.stringify([spaces, models, fixtures].map((set) => [...set].sort()));
  if (key === state.optionsKey) return; // rebuilding would close a select the user has open
  state.optionsKey = key;
  fillSelect(form.namespace, spaces, (v) => (v === NONE ? "(no namespace)" : v));
  fillSelect(form.model, models, shortModel);
  fillSelect(form.fixture, fixtures, (v) => v);
}

function visible() {
  const f = filters();
  return state.entries.filter(
    (e) =>
      (!f.namespace || (e.namespace ?? NONE) === f.namespace) &&
      (!f.model || e.model === f.model) &&
      (!f.fixture || fixtureLabel(e) === f.fixture) &&
      (!f.status || String(e.status).startsWith(f.status)) &&
      (!f.problems || isProblem(e)),
  );
}

function requestRow(entry) {
  const [inTokens, outTokens] = tokensOf(entry.usage);
  const outcome = entry.fixture
    ? el("span", { class: "fixture", text: entry.fixture })
    : el("span", { class: "fixture missing", text: fixtureLabel(entry) });
  const row = el(
    "li",
    {
      class: `request${isProblem(entry) ? " problem" : ""}${state.selected === entry.seq ? " selected" : ""}`,
      "data-seq": entry.seq,
      tabindex: 0,
      onclick: () => select(entry.seq),
      onkeydown: (event) => event.key === "Enter" && select(entry.seq),
    },
    el(
      "div",
      { class: "line" },
      el("span", { class: "seq", text: `#${entry.seq}` }),
      el("span", { class: "endpoint", text: entry.endpoint || entry.path }),
      entry.stream ? el("span", { class: "badge", text: "stream" }) : null,
      el("span", { class: `pill ${statusClass(entry.status)}`, text: entry.status || "—" }),
    ),
    el(
      "div",
      { class: "line sub" },
      el("span", { class: "model", text: shortModel(entry.model) }),
      outcome,
      warningsOf(entry).length ? el("span", { class: "badge warn", text: `${warningsOf(entry).length} warning(s)` }) : null,
    ),
    el(
      "div",
      { class: "line meta" },
      el("span", { text: clock(entry.time) }),
      el("span", { text: `${Math.round(entry.latency_ms)} ms` }),
      inTokens || outTokens ? el("span", { text: `${inTokens} → ${outTokens} tok` }) : null,
      entry.namespace ? el("span", { class: "ns", text: entry.namespace }) : null,
    ),
  );
  return row;
}

function renderList() {
  const shown = visible().slice().reverse(); // newest first
  const key = JSON.stringify([filters(), state.selected, shown.map((e) => [e.seq, e.status, e.fixture])]);
  document.getElementById("count-requests").textContent = state.entries.length || "";
  if (key === state.listKey) return;
  state.listKey = key;
  const list = document.getElementById("request-list");
  if (!shown.length) {
    const why = state.entries.length ? "No request matches these filters." : "No requests yet. Point a client at the mock.";
    list.replaceChildren(el("li", { class: "empty", text: why }));
    return;
  }
  list.replaceChildren(...shown.map(requestRow));
}

function select(seq) {
  state.selected = seq;
  state.detailKey = "";
  renderList();
  renderDetail();
}

function renderDetail() {
  const detail = document.getElementById("detail");
  const entry = state.entries.find((e) => e.seq === state.selected);
  const key = entry ? JSON.stringify([entry.seq, entry.status, entry.frames.length, entry.streaming]) : String(state.selected);
  if (key === state.detailKey) return;
  state.detailKey = key;
  if (!entry) {
    const text = "Pick a request to see its conversation, what answered it, and what it cost.";
    detail.replaceChildren(el("p", { class: "empty", text }));
    return;
  }
  const parts = [
    el(
      "header",
      { class: "detail-head" },
      el("h2", {}, `#${entry.seq} `, el("span", { class: "endpoint", text: entry.endpoint || entry.path })),
      entry.stream ? el("span", { class: "badge", text: "stream" }) : null,
      el("span", { class: `pill ${statusClass(entry.status)}`, text: entry.status }),
    ),
    facts(entry),
    outcome(entry),
    warnings(entry),
    section("Conversation", transcript(entry)),
    toolsOffered(entry.request),
    frames(entry),
    raw(entry),
  ];
  detail.replaceChildren(...parts.filter(Boolean));
}

function show(view) {
  state.view = view;
  for (const button of document.querySelectorAll(".tabs button")) button.classList.toggle("active", button.dataset.view === view);
  for (const section of document.querySelectorAll(".view")) section.classList.toggle("active", section.id === `view-${view}`);
  tick();
}

function merge(entries) {
  if (!entries.length) return;
  const bySeq = new Map(state.entries.map((e) => [e.seq, e]));
  for (const entry of entries) {
    bySeq.set(entry.seq, entry); // a stream still being written comes again, with more frames
    state.after = Math.max(state.after, entry.seq);
  }
  state.entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-KEEP);
}

function forgetSeen() {
  Object.assign(state, { entries: [], selected: null, listKey: "", detailKey: "" });
  refreshFilterOptions();
  renderList();
  renderDetail();
}

async function tick() {
  try {
    const tail = await api(`/__mock__/journal/tail?after=${state.after}`);
    if (tail.last_seq < state.after) {
      // A new server on the same address: what the page remembers belongs to the old one.
      Object.assign(state, { entries: [], after: 0, selected: null, listKey: "", detailKey: "" });
      return tick();
    }
    merge(tail.entries);
    refreshFilterOptions();
    renderList();
    renderDetail();
    if (state.view === "usage") await renderUsage();
    if (state.view === "fixtures") await renderFixtures();
    setLive(true, `live · ${clock(Date.now() / 1000).slice(0, 8)}`);
  } catch (error) {
    setLive(false, `not connected: ${error.message}`);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll(".tabs button")) button.addEventListener("click", () => show(button.dataset.view));
  document.getElementById("filters").addEventListener("change", () => renderList());
  document.getElementById("clear").addEventListener("click", forgetSeen);
  const loop = async () => {
    await tick();
    setTimeout(loop, POLL_MS); // one poll at a time, however slow the mock is to answer
  };
  loop();
});
