// The clarifai-mock inspector: reads the control API (journal, usage, fixtures) and shows it. No build step.
"use strict";

const POLL_MS = 1000;
const KEEP = 2000; // requests the page remembers, also after a test's namespace has left the journal
const NONE = "\u0000none";
const TOKEN = new URLSearchParams(location.search).get("token");

const state = {
  entries: [],
  after: 0,
  selected: null,
  view: "requests",
  listKey: "",
  optionsKey: "",
  detailKey: "",
};

// ---------- small helpers ----------

function el(tag, attrs, ...children) {
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

async function api(path) {
  const headers = TOKEN ? { "x-mock-control-token": TOKEN } : {};
  const response = await fetch(path, { headers, cache: "no-store" });
  if (!response.ok) throw new Error(`${path.split("?")[0]} answered HTTP ${response.status}`);
  return response.json();
}

function clock(seconds) {
  const d = new Date(seconds * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function shortModel(model) {
  return model ? model.split("/").pop() : "—";
}

function usd(value) {
  if (!value) return "$0";
  return value < 0.01 ? `$${value.toPrecision(3)}` : `$${value.toFixed(4)}`;
}

function pretty(text) {
  if (typeof text !== "string") return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function tokensOf(usage) {
  if (!usage) return [0, 0];
  return [usage.prompt_tokens ?? usage.input_tokens ?? 0, usage.completion_tokens ?? usage.output_tokens ?? 0];
}

function warningsOf(entry) {
  return Array.isArray(entry.warnings) ? entry.warnings : [];
}

function fixtureLabel(entry) {
  if (entry.fixture) return entry.fixture;
  if (entry.generated) return "(generated)";
  return entry.near_miss ? "(no match)" : "(none)";
}

function isProblem(entry) {
  return Boolean(entry.near_miss || entry.generated || warningsOf(entry).length);
}

function statusClass(status) {
  if (status >= 500 || status === 0) return "bad";
  if (status >= 400) return "warn";
  return "ok";
}

function setLive(ok, text) {
  const live = document.getElementById("live");
  live.textContent = text;
  live.className = ok ? "live" : "live offline";
}

// ---------- the request list ----------

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

// ---------- one request: transcript, outcome, frames ----------

function partsText(content) {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return [content];
  if (!Array.isArray(content)) return [JSON.stringify(content)];
  return content.map((part) => {
    if (typeof part === "string") return part;
    if (part.text !== undefined) return part.text;
    if (part.type === "image_url" || part.type === "input_image") return "[image]";
    if (part.type === "input_audio") return "[audio]";
    if (part.type === "refusal") return `[refusal] ${part.refusal}`;
    return `[${part.type || "part"}]`;
  });
}

function call(name, args, id) {
  return el(
    "div",
    { class: "tool-call" },
    el("div", { class: "tool-call-head" }, el("span", { class: "fn", text: `${name}(…)` }), id ? el("span", { class: "id", text: id }) : null),
    el("pre", { text: pretty(args ?? "") }),
  );
}

function bubble(role, texts, extra = {}) {
  const body = texts.filter((t) => t !== "").map((t) => el("div", { class: "text", text: t }));
  return el(
    "div",
    { class: `msg ${role}${extra.reply ? " reply" : ""}` },
    el("div", { class: "role" }, extra.label || role, extra.id ? el("span", { class: "id", text: ` · ${extra.id}` }) : null),
    ...body,
    ...(extra.calls || []),
  );
}

function chatMessages(messages) {
  return (messages || []).map((m) => {
    const calls = (m.tool_calls || []).map((c) => call(c.function?.name, c.function?.arguments, c.id));
    if (m.role === "tool") return bubble("tool", partsText(m.content), { label: "tool result", id: m.tool_call_id });
    return bubble(m.role || "user", partsText(m.content), { calls });
  });
}

function responsesInput(request) {
  const out = [];
  if (request.instructions) out.push(bubble("system", [request.instructions], { label: "instructions" }));
  const input = request.input;
  if (typeof input === "string") return [...out, bubble("user", [input])];
  for (const item of input || []) {
    if (item.type === "function_call") out.push(bubble("assistant", [], { calls: [call(item.name, item.arguments, item.call_id)] }));
    else if (item.type === "function_call_output") out.push(bubble("tool", partsText(item.output), { label: "tool result", id: item.call_id }));
    else if (item.role) out.push(bubble(item.role, partsText(item.content)));
  }
  return out;
}

function sseEvents(frames) {
  const text = frames.map((f) => f.data).join("");
  const events = [];
  for (const block of text.split(/\n\n/)) {
    const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
    if (!data || data === "[DONE]") continue;
    try {
      events.push(JSON.parse(data));
    } catch {
      /* a keep-alive comment or a cut-off stream: nothing to show */
    }
  }
  return events;
}

function chatFromChunks(events) {
  const message = { content: "", reasoning: "", tool_calls: [] };
  let finish = null;
  for (const chunk of events) {
    const choice = (chunk.choices || [])[0];
    if (!choice) continue;
    const delta = choice.delta || {};
    message.content += delta.content || "";
    message.reasoning += delta.reasoning_content || delta.reasoning || "";
    for (const piece of delta.tool_calls || []) {
      const slot = (message.tool_calls[piece.index ?? 0] ||= { id: "", function: { name: "", arguments: "" } });
      slot.id = piece.id || slot.id;
      slot.function.name += piece.function?.name || "";
      slot.function.arguments += piece.function?.arguments || "";
    }
    finish = choice.finish_reason || finish;
  }
  return { message, finish };
}

function replyBubble(texts, calls, finish, reasoning) {
  const label = `reply${finish ? ` · ${finish}` : ""}`;
  const parts = reasoning ? [el("details", { class: "reasoning" }, el("summary", { text: "reasoning" }), el("div", { text: reasoning }))] : [];
  const node = bubble("assistant", texts, { reply: true, label, calls });
  node.querySelector(".role").after(...parts);
  return node;
}

function chatReply(entry) {
  let message;
  let finish;
  if (entry.stream) ({ message, finish } = chatFromChunks(sseEvents(entry.frames)));
  else {
    const choice = (entry.response?.choices || [])[0];
    if (!choice) return null;
    message = choice.message || {};
    finish = choice.finish_reason;
  }
  const calls = (message.tool_calls || []).map((c) => call(c.function?.name, c.function?.arguments, c.id));
  return replyBubble(partsText(message.content), calls, finish, message.reasoning || message.reasoning_content);
}

function responsesReply(entry) {
  let response = entry.response;
  if (entry.stream) {
    const events = sseEvents(entry.frames);
    const done = events.find((e) => e.type === "response.completed" || e.type === "response.incomplete");
    response = done ? done.response : null;
    if (!response) {
      const text = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");
      return text ? replyBubble([text], [], "streaming") : null;
    }
  }
  if (!response) return null;
  const texts = [];
  const calls = [];
  for (const item of response.output || []) {
    if (item.type === "message") texts.push(...partsText(item.content));
    if (item.type === "function_call") calls.push(call(item.name, item.arguments, item.call_id));
  }
  return replyBubble(texts, calls, response.status);
}

function mediaReply(entry) {
  const data = entry.response?.data;
  if (!Array.isArray(data)) return null;
  if (entry.endpoint === "embeddings") {
    const dims = Array.isArray(data[0]?.embedding) ? data[0].embedding.length : "?";
    return replyBubble([`${data.length} embedding(s) of ${dims} dimensions`], [], null);
  }
  const images = data.map((d) => (d.url ? el("img", { src: d.url, alt: "generated image", class: "thumb" }) : el("div", { text: "[base64 image]" })));
  const node = replyBubble([`${data.length} image(s)`], [], null);
  node.append(...images);
  return node;
}

function transcript(entry) {
  const request = entry.request || {};
  let turns = [];
  let reply = null;
  if (entry.endpoint === "chat.completions") {
    turns = chatMessages(request.messages);
    reply = chatReply(entry);
  } else if (entry.endpoint === "responses") {
    turns = responsesInput(request);
    reply = responsesReply(entry);
  } else {
    const input = request.input ?? request.prompt;
    turns = [bubble("user", Array.isArray(input) ? input.map(String) : [String(input ?? "")])];
    reply = mediaReply(entry);
  }
  if (!reply && entry.status >= 400) {
    const text = entry.near_miss ? "No fixture matched (the report is above)." : entry.error || `HTTP ${entry.status}`;
    reply = bubble("error", [text], { label: `error · ${entry.status}` });
  }
  return el("div", { class: "transcript", "data-testid": "transcript" }, ...turns, reply);
}

function toolsOffered(request) {
  const tools = request?.tools || [];
  if (!tools.length) return null;
  const items = tools.map((t) => {
    const fn = t.function || t;
    return el(
      "li",
      {},
      el("details", {}, el("summary", {}, el("span", { class: "fn", text: fn.name || t.type }), fn.description ? ` — ${fn.description}` : ""),
        el("pre", { text: JSON.stringify(fn.parameters ?? {}, null, 2) })),
    );
  });
  const choice = request.tool_choice ? el("p", { class: "muted", text: `tool_choice: ${JSON.stringify(request.tool_choice)}` }) : null;
  return section("Tools offered", el("ul", { class: "tools" }, ...items), choice);
}

function section(title, ...children) {
  return el("section", { class: "card" }, el("h3", { text: title }), ...children);
}

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

function outcome(entry) {
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

function warnings(entry) {
  const list = warningsOf(entry);
  if (!list.length) return null;
  return section("Warnings", el("ul", { class: "warnings" }, ...list.map((w) => el("li", { text: typeof w === "string" ? w : JSON.stringify(w) }))));
}

function frameSummary(data) {
  const lines = data.split("\n");
  if (data.startsWith(":")) return "keep-alive";
  const event = lines.find((l) => l.startsWith("event:"));
  const payload = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim());
  if (payload.length === 1 && payload[0] === "[DONE]") return "[DONE]";
  const texts = [];
  for (const p of payload) {
    try {
      const value = JSON.parse(p);
      const delta = value.choices?.[0]?.delta;
      if (delta?.content) texts.push(JSON.stringify(delta.content));
      else if (delta?.tool_calls) texts.push(`tool_calls ${delta.tool_calls.map((c) => c.function?.name || c.function?.arguments || "").join(" ")}`);
      else if (value.delta !== undefined) texts.push(JSON.stringify(value.delta));
      else if (value.usage) texts.push("usage");
      else if (value.type) texts.push(value.type);
      else if (value.choices?.[0]?.finish_reason) texts.push(`finish: ${value.choices[0].finish_reason}`);
      else texts.push("…");
    } catch {
      texts.push(p.slice(0, 80));
    }
  }
  return `${event ? `${event.slice(6).trim()} ` : ""}${texts.join(" ")}`;
}

function frames(entry) {
  if (!entry.stream || !entry.frames.length) return null;
  const list = entry.frames;
  const first = list[0].ms;
  const last = list[list.length - 1].ms;
  const rows = list.slice(0, 400).map((f, i) =>
    el("tr", {}, el("td", { class: "num", text: f.ms.toFixed(1) }), el("td", { class: "num", text: i ? `+${(f.ms - list[i - 1].ms).toFixed(1)}` : "" }), el("td", { class: "frame", text: frameSummary(f.data) })),
  );
  const more = list.length > 400 || entry.frames_dropped ? el("p", { class: "muted", text: `${list.length - Math.min(400, list.length) + entry.frames_dropped} more frame(s) not shown.` }) : null;
  return section(
    "Streamed frames",
    el("p", { class: "muted", text: `${list.length + entry.frames_dropped} frame(s); first byte at ${first.toFixed(1)} ms, last at ${last.toFixed(1)} ms after the request.${entry.streaming ? " Still streaming…" : ""}` }),
    el("table", { class: "table frames" }, el("thead", {}, el("tr", {}, el("th", { class: "num", text: "ms" }), el("th", { class: "num", text: "gap" }), el("th", { text: "frame" }))), el("tbody", {}, ...rows)),
    more,
  );
}

function facts(entry) {
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

function raw(entry) {
  return el(
    "details",
    { class: "card raw" },
    el("summary", { text: "Raw journal entry" }),
    el("pre", { text: JSON.stringify({ ...entry, frames: `${entry.frames.length} frame(s)` }, null, 2) }),
  );
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

// ---------- usage and fixtures ----------

async function renderUsage() {
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

async function renderFixtures() {
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

// ---------- wiring ----------

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
