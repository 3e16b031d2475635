// Conformance checks of the official Node `openai` SDK against a running mock.
//
// Input:  OPENAI_BASE_URL (the mock's `/v2/ext/openai/v1` base URL), OPENAI_API_KEY (a PAT on the mock's allow-list).
// The mock must serve the repository's `fixtures/` folder (weather flow, `x-mock-scenario` errors).
// Output: ONE JSON line `{"results": {"<check>": {"ok": true} | {"ok": false, "error": "..."}}}`, exit code 0.
// Driven by tests/e2e/test_node_sdk.py, which asserts on every check separately (keep its CHECKS in step).
// CONFORMANCE_DEBUG=1 names each check on stderr as it starts.

import { writeSync } from "node:fs";

import OpenAI from "openai";
import { makeParseableTool } from "openai/lib/parser";

const baseURL = process.env.OPENAI_BASE_URL;
const apiKey = process.env.OPENAI_API_KEY;
if (!baseURL || !apiKey) {
  console.error("OPENAI_BASE_URL and OPENAI_API_KEY must be set");
  process.exit(2);
}

const CHAT_MODEL = "openai/chat-completion/models/gpt-4o";
const EMBED_MODEL = "openai/embed/models/text-embedding-ada-002";
const ASK_WEATHER = "What's the weather like in New York today?";
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the current weather in a given location",
    parameters: {
      type: "object",
      properties: { location: { type: "string", description: "City and country" } },
      required: ["location"],
    },
  },
};

/** A client with no retries (every scripted error surfaces at once); `options` override the defaults. */
function client(options = {}) {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0, ...options });
}

/**
 * A `fetch` that records each exchange (request init, response status and body text) before handing it to the SDK.
 * The copy of the body is read to the end at once: an unread `clone()` would keep the SDK's `body.cancel()` on a
 * retried error response pending forever. Not for streams (it waits for the whole body).
 */
function spyFetch() {
  const calls = [];
  const spy = async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.clone().text();
    calls.push({ url: String(url), init, status: response.status, text });
    return response;
  };
  return { calls, fetch: spy };
}

function assert(condition, message) {
  if (!condition) {
    throw new Error(`assertion failed: ${message}`);
  }
}

function header(init, name) {
  return new Headers(init.headers).get(name);
}

/** Run `body` and require it to throw an instance of `kind`; returns the error. */
async function expectError(kind, body) {
  try {
    await body();
  } catch (error) {
    if (error instanceof kind) {
      return error;
    }
    throw new Error(`expected ${kind.name}, got ${describe(error)}`);
  }
  throw new Error(`expected ${kind.name}, but nothing was thrown`);
}

function describe(error) {
  if (error instanceof Error) {
    const status = "status" in error && error.status !== undefined ? ` (status ${error.status})` : "";
    return `${error.constructor.name}${status}: ${error.message}`;
  }
  return `non-Error thrown: ${JSON.stringify(error)}`;
}

function onlyToolCall(message) {
  assert(Array.isArray(message.tool_calls), `message has tool_calls: ${JSON.stringify(message)}`);
  assert(message.tool_calls.length === 1, `exactly one tool call: ${JSON.stringify(message.tool_calls)}`);
  const [call] = message.tool_calls;
  assert(call.type === "function", `tool call type is "function": ${JSON.stringify(call)}`);
  assert(typeof call.id === "string" && call.id.length > 0, `tool call has an id: ${JSON.stringify(call)}`);
  assert(call.function.name === "get_weather", `tool call names get_weather: ${JSON.stringify(call)}`);
  assert(typeof call.function.arguments === "string", "arguments is a JSON string");
  const args = JSON.parse(call.function.arguments);
  const location = args.location;
  assert(typeof location === "string" && location.length > 0, `arguments have a location: ${call.function.arguments}`);
  return { call, args };
}

function weatherResult(location) {
  return { location, temperature: 23, conditions: "light rain" };
}

const checks = {
  async "chat.create"() {
    const completion = await client().chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "Say hello." }],
    });
    assert(typeof completion === "object", `parsed as JSON, got ${typeof completion}`);
    assert(completion.object === "chat.completion", `object is chat.completion: ${completion.object}`);
    const [choice] = completion.choices;
    assert(choice.message.role === "assistant", "role is assistant");
    assert(typeof choice.message.content === "string" && choice.message.content.length > 0, "content is non-empty");
    assert(choice.finish_reason === "stop", `finish_reason is stop: ${choice.finish_reason}`);
    assert(completion.usage.total_tokens > 0, "usage is present");
  },

  async "chat.stream_iterate"() {
    const stream = await client().chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "Say hello, slowly." }],
      stream: true,
    });
    let content = "";
    let chunks = 0;
    let finish = null;
    for await (const chunk of stream) {
      chunks += 1;
      assert(chunk.object === "chat.completion.chunk", `chunk object: ${JSON.stringify(chunk)}`);
      for (const choice of chunk.choices) {
        content += choice.delta.content ?? "";
        finish = choice.finish_reason ?? finish;
      }
    }
    assert(chunks > 1, `more than one chunk, got ${chunks}`);
    assert(content.length > 0, "streamed content is non-empty");
    assert(finish === "stop", `last finish_reason is stop: ${finish}`);
  },

  async "chat.stream_helper_text"() {
    const stream = client().chat.completions.stream({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "Tell me something short." }],
    });
    let deltas = "";
    stream.on("content", (delta) => {
      deltas += delta;
    });
    const final = await stream.finalChatCompletion();
    const [choice] = final.choices;
    assert(choice.message.role === "assistant", "role is assistant");
    assert(typeof choice.message.content === "string" && choice.message.content.length > 0, "content is non-empty");
    assert(choice.message.content === deltas, "final content equals the concatenated content events");
    assert(choice.finish_reason === "stop", `finish_reason is stop: ${choice.finish_reason}`);
  },

  async "chat.stream_helper_tool_call"() {
    const stream = client().chat.completions.stream({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: ASK_WEATHER }],
      tools: [WEATHER_TOOL],
      tool_choice: "required",
    });
    const final = await stream.finalChatCompletion();
    const [choice] = final.choices;
    assert(choice.finish_reason === "tool_calls", `finish_reason is tool_calls: ${choice.finish_reason}`);
    onlyToolCall(choice.message);
  },

  async "chat.stream_helper_parsed_tool"() {
    // A parseable strict tool turns on the helper's stricter paths: bound tool-call identities ("changed tool
    // call identity") and `parsed_arguments`.
    const tool = makeParseableTool(
      {
        type: "function",
        function: {
          ...WEATHER_TOOL.function,
          strict: true,
          parameters: { ...WEATHER_TOOL.function.parameters, additionalProperties: false },
        },
      },
      { parser: JSON.parse, callback: undefined },
    );
    const stream = client().chat.completions.stream({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: ASK_WEATHER }],
      tools: [tool],
      tool_choice: "required",
    });
    const final = await stream.finalChatCompletion();
    const { call, args } = onlyToolCall(final.choices[0].message);
    assert(call.function.parsed_arguments?.location === args.location, `parsed: ${JSON.stringify(call.function)}`);
  },

  async "chat.weather_flow"() {
    const sdk = client();
    const messages = [{ role: "user", content: ASK_WEATHER }];
    const first = await sdk.chat.completions.create({ model: CHAT_MODEL, messages, tools: [WEATHER_TOOL] });
    assert(first.choices[0].finish_reason === "tool_calls", `turn 1 finish_reason: ${first.choices[0].finish_reason}`);
    const { call, args } = onlyToolCall(first.choices[0].message);
    messages.push(first.choices[0].message);
    messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(weatherResult(args.location)) });
    const second = await sdk.chat.completions.create({ model: CHAT_MODEL, messages, tools: [WEATHER_TOOL] });
    const answer = second.choices[0].message.content;
    assert(second.choices[0].finish_reason === "stop", `turn 2 finish_reason: ${second.choices[0].finish_reason}`);
    assert(typeof answer === "string" && answer.includes("23"), `turn 2 answer uses the temperature: ${answer}`);
    assert(answer.includes("light rain"), `turn 2 answer uses the conditions: ${answer}`);
  },

  async "chat.run_tools_stream"() {
    const seen = [];
    const runner = client().chat.completions.runTools({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: ASK_WEATHER }],
      stream: true,
      tools: [
        {
          type: "function",
          function: {
            ...WEATHER_TOOL.function,
            parse: JSON.parse,
            function: (args) => {
              seen.push(args);
              return JSON.stringify(weatherResult(args.location));
            },
          },
        },
      ],
    });
    const content = await runner.finalContent();
    assert(seen.length === 1, `the tool ran once: ${JSON.stringify(seen)}`);
    assert(typeof content === "string" && content.includes("23"), `final answer uses the temperature: ${content}`);
  },

  async "embeddings.default_base64"() {
    const spy = spyFetch();
    const result = await client({ fetch: spy.fetch }).embeddings.create({ model: EMBED_MODEL, input: "hello world" });
    const [call] = spy.calls;
    assert(JSON.parse(call.init.body).encoding_format === "base64", "the SDK asked for base64");
    const raw = JSON.parse(call.text);
    assert(typeof raw.data[0].embedding === "string", `the mock answered base64: ${typeof raw.data[0].embedding}`);
    const vector = result.data[0].embedding;
    assert(Array.isArray(vector), `decoded to an array of numbers, got ${typeof vector}`);
    assert(vector.length === 1536, `1536 dimensions, got ${vector.length}`);
    assert(vector.every((x) => Number.isFinite(x)), "every component is a finite number");
    const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
    assert(Math.abs(norm - 1) < 1e-3, `a unit vector, norm ${norm}`);
  },

  async "embeddings.float_equals_base64"() {
    const sdk = client();
    const input = ["hello world", "second input"];
    const decoded = await sdk.embeddings.create({ model: EMBED_MODEL, input });
    const floats = await sdk.embeddings.create({ model: EMBED_MODEL, input, encoding_format: "float" });
    assert(floats.data.length === 2 && decoded.data.length === 2, "two embeddings each");
    for (const [index, item] of floats.data.entries()) {
      const other = decoded.data[index].embedding;
      assert(item.index === index, `index ${item.index} is ${index}`);
      assert(Array.isArray(item.embedding), "float format is a JSON array");
      assert(item.embedding.length === 1536, `1536 dimensions, got ${item.embedding.length}`);
      assert(other.length === item.embedding.length, "same length as the base64-decoded vector");
      const worst = Math.max(...item.embedding.map((x, i) => Math.abs(x - other[i])));
      assert(worst <= 1e-6, `float and base64 differ by ${worst} at input ${index}`);
    }
  },

  async "models.list"() {
    const ids = [];
    for await (const model of client().models.list()) {
      assert(model.object === "model", `object is model: ${JSON.stringify(model)}`);
      ids.push(model.id);
    }
    assert(ids.includes(CHAT_MODEL), `the list has ${CHAT_MODEL}`);
    assert(ids.includes(EMBED_MODEL), `the list has ${EMBED_MODEL}`);
  },

  async "models.retrieve"() {
    const model = await client().models.retrieve(CHAT_MODEL);
    assert(typeof model === "object", `parsed as JSON, got ${typeof model}`);
    assert(model.id === CHAT_MODEL, `id round-trips: ${model.id}`);
    assert(model.object === "model", `object is model: ${model.object}`);
  },

  async "errors.authentication"() {
    const error = await expectError(OpenAI.AuthenticationError, () =>
      client({ apiKey: "not-on-the-allow-list" }).chat.completions.create({
        model: CHAT_MODEL,
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    assert(error.status === 401, `status 401: ${error.status}`);
    assert(typeof error.requestID === "string" && error.requestID.length > 0, "x-request-id becomes requestID");
  },

  async "errors.not_found"() {
    const error = await expectError(OpenAI.NotFoundError, () =>
      client().chat.completions.create({
        model: "openai/chat-completion/models/no-such-model",
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    assert(error.status === 404, `status 404: ${error.status}`);
  },

  async "errors.rate_limited"() {
    const error = await expectError(OpenAI.RateLimitError, () =>
      client({ defaultHeaders: { "x-mock-scenario": "rate-limited" } }).chat.completions.create({
        model: CHAT_MODEL,
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    assert(error.status === 429, `status 429: ${error.status}`);
    assert(error.headers.get("retry-after") !== null, "the 429 carries retry-after");
  },

  async "errors.stream_error"() {
    const stream = await client().chat.completions.create(
      { model: CHAT_MODEL, messages: [{ role: "user", content: "hi" }], stream: true },
      { headers: { "x-mock-scenario": "stream-error" } },
    );
    let content = "";
    const error = await expectError(OpenAI.APIError, async () => {
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta.content ?? "";
      }
    });
    assert(content.length > 0, "some content arrived before the error");
    assert(/mid-stream/.test(error.message), `the error carries the mock's message: ${error.message}`);
  },

  async "responses.create"() {
    const response = await client().responses.create({ model: CHAT_MODEL, input: "hi" });
    assert(response.object === "response", `object is response: ${response.object}`);
    assert(response.status === "completed", `status is completed: ${response.status}`);
    assert(typeof response.output_text === "string" && response.output_text.length > 0, "output_text is non-empty");
  },

  async "responses.stream"() {
    const stream = client().responses.stream({ model: CHAT_MODEL, input: "hi" });
    const types = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") {
        deltas += event.delta;
      }
    }
    const final = await stream.finalResponse();
    assert(types[0] === "response.created", `first event is response.created: ${types[0]}`);
    assert(types.at(-1) === "response.completed", `last event is response.completed: ${types.at(-1)}`);
    assert(final.status === "completed", `final status is completed: ${final.status}`);
    assert(final.output_text.length > 0 && final.output_text === deltas, "final output_text equals the deltas");
  },

  async "retries.rate_limited_then_ok"() {
    const spy = spyFetch();
    const sdk = client({
      maxRetries: 2,
      fetch: spy.fetch,
      defaultHeaders: { "x-mock-scenario": "rate-limited-then-ok" },
    });
    const completion = await sdk.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "hi" }],
    });
    const answer = completion.choices[0].message.content;
    assert(answer.startsWith("Succeeded"), `final answer: ${answer}`);
    const statuses = spy.calls.map((c) => c.status);
    assert(JSON.stringify(statuses) === "[429,429,200]", `attempt statuses: ${JSON.stringify(statuses)}`);
    const counts = spy.calls.map((c) => header(c.init, "x-stainless-retry-count"));
    assert(JSON.stringify(counts) === '["0","1","2"]', `retry counts: ${JSON.stringify(counts)}`);
  },
};

const results = {};
let running = null;

function report() {
  writeSync(1, `${JSON.stringify({ results })}\n`);
}

// A check whose promise can never settle (nothing left for the event loop to do) would end the process with
// code 13 and no output; report it, and the checks after it, instead.
process.on("exit", () => {
  if (running === null) {
    return;
  }
  results[running] = { ok: false, error: "never settled: the event loop emptied while this check was awaiting" };
  for (const name of Object.keys(checks)) {
    results[name] ??= { ok: false, error: `not run: ${running} never settled` };
  }
  report();
  process.exitCode = 0;
});

for (const [name, check] of Object.entries(checks)) {
  running = name;
  try {
    await check();
    results[name] = { ok: true };
  } catch (error) {
    results[name] = { ok: false, error: describe(error) };
  }
}
running = null;
report();
