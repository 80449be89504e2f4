"use strict";
// faaslab function instance for Node.js (18 or later; standard library only).
//
// The host passes a listening socket as file descriptor 3 (or, in a container,
// FAASLAB_PORT: the port to bind on all interfaces) and these variables:
// FAASLAB_INSTANCE_ID, FAASLAB_CODE_DIR. The handler is `handler(event)` exported by
// FAASLAB_CODE_DIR/function/function.js; it may return a value or a Promise of one.
// Same protocol as the Python server (docs/handler-protocol.md).

const http = require("node:http");
const path = require("node:path");
const { performance } = require("node:perf_hooks");

const INSTANCE_ID = process.env.FAASLAB_INSTANCE_ID;
const CODE_DIR = process.env.FAASLAB_CODE_DIR;

const fn = require(path.join(CODE_DIR, "function", "function.js"));
if (typeof fn.handler !== "function") {
  throw new TypeError("function/function.js exports no `handler` function");
}

let cold = true;

/** Wall clock, µs since the epoch (sub-millisecond, unlike Date.now()). */
function wallUs() {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** Monotonic clock, µs. */
function monoUs(start) {
  return Number((process.hrtime.bigint() - start) / 1000n);
}

/** "<ErrorType>: <message>", as the Python server reports "<ExceptionType>: <message>". */
function describe(err) {
  if (err instanceof Error) {
    return `${err.name || err.constructor.name}: ${err.message}`;
  }
  return `Error: ${String(err)}`;
}

function send(res, status, body) {
  const data = Buffer.from(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": data.length,
  });
  res.end(data);
}

/** One log line per request, as a platform's log would have it (docs/experiments.md). */
function report(requestId, durationUs) {
  const line = {
    request_id: requestId,
    duration_us: durationUs,
    max_rss_kib: process.resourceUsage().maxRSS,
  };
  process.stderr.write("FAASLAB-REPORT " + JSON.stringify(line) + "\n");
}

async function invoke(req, res, received) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const requestId = String(req.headers["x-faaslab-request-id"] || "");
  const isCold = cold;
  cold = false;
  let output = null;
  let failure = null;
  let beginUs = null;
  let t0 = null;
  let t1 = null;
  try {
    const event = body.length ? JSON.parse(body.toString("utf8")) : {};
    beginUs = wallUs();
    t0 = process.hrtime.bigint();
    try {
      output = await fn.handler(event);
    } finally {
      t1 = process.hrtime.bigint();
    }
  } catch (err) {
    if (t0 === null) {
      beginUs = wallUs();
      t0 = received;
      t1 = received;
    }
    output = null;
    failure = describe(err);
    console.error(err && err.stack ? err.stack : failure);
  }
  const execUs = Number((t1 - t0) / 1000n);
  const reply = {
    request_id: requestId,
    instance_id: INSTANCE_ID,
    is_cold: isCold,
    begin_us: beginUs,
    end_us: beginUs + execUs,
    exec_time_us: execUs,
    output: output === undefined ? null : output,
    failure,
  };
  reply.provider_time_us = monoUs(received);
  let text;
  try {
    text = JSON.stringify(reply);
  } catch (err) {
    reply.output = null;
    reply.failure = `output is not JSON-serialisable: ${err.message}`;
    text = JSON.stringify(reply);
  }
  send(res, 200, text);
  report(requestId, monoUs(received));
}

const server = http.createServer((req, res) => {
  const received = process.hrtime.bigint();
  if (req.method === "GET") {
    if (req.url === "/health") {
      send(res, 200, JSON.stringify({ instance_id: INSTANCE_ID, pid: process.pid }));
    } else {
      send(res, 404, JSON.stringify({ error: "not found" }));
    }
    return;
  }
  if (req.method !== "POST") {
    send(res, 405, JSON.stringify({ error: "method not allowed" }));
    return;
  }
  invoke(req, res, received).catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    res.destroy();
  });
});

// The host keeps one connection per instance for its whole life: never time it out.
server.keepAliveTimeout = 0;
server.headersTimeout = 0;
server.requestTimeout = 0;
server.timeout = 0;
server.on("connection", (socket) => socket.setNoDelay(true));

const port = process.env.FAASLAB_PORT;
if (port) {
  // Containers (local-docker): no inherited fd 3, bind the given port instead.
  server.listen({ port: Number(port), host: "0.0.0.0", backlog: 64 });
} else {
  server.listen({ fd: 3 });
}
