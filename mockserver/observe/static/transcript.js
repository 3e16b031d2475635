// One request as a chat transcript (chat `messages` or Responses `input`, then the reply), its tools and frames.

import { el, pretty, section } from "./util.js";

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

export function transcript(entry) {
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

export function toolsOffered(request) {
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

export function frames(entry) {
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
