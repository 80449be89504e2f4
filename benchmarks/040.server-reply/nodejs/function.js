"use strict";
// 040.server-reply: send `requests` lines to a TCP server and collect its replies.

const net = require("node:net");
const { Measurement } = require("faaslab_storage");

/** Host and port of "host:port" (IPv6 hosts may be bracketed). */
function parseServer(text) {
  const at = String(text).lastIndexOf(":");
  const host = String(text).slice(0, at).replace(/^\[|\]$/g, "");
  const port = Number(String(text).slice(at + 1));
  if (at < 0 || !host || !Number.isInteger(port)) {
    throw new RangeError(`server: expected "ip:port", got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

/** Send each line and wait for one reply line per request, 10 s without data at most. */
function converse(server, lines, m) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server);
    socket.setNoDelay(true);
    socket.setTimeout(10_000, () => socket.destroy(new Error("server-reply: timed out")));
    const replies = [];
    let pending = Buffer.alloc(0);
    const sendNext = () => socket.write(m.count("upload", Buffer.from(lines[replies.length])));
    socket.on("connect", () => (lines.length ? sendNext() : socket.end()));
    socket.on("data", (chunk) => {
      m.count("download", chunk);
      pending = Buffer.concat([pending, chunk]);
      let nl;
      while ((nl = pending.indexOf(10)) >= 0 && replies.length < lines.length) {
        replies.push(pending.subarray(0, nl).toString("utf8"));
        pending = pending.subarray(nl + 1);
        if (replies.length < lines.length) sendNext();
      }
      if (replies.length === lines.length) socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => {
      if (replies.length === lines.length) resolve(replies);
      else reject(new Error(`server closed after ${replies.length} of ${lines.length} replies`));
    });
  });
}

exports.handler = async (event) => {
  const server = parseServer(event.server);
  const count = Number.parseInt(event.requests, 10);
  const lines = Array.from({ length: count }, (_, i) => `${event.token}-${i}\n`);
  const m = new Measurement();
  const replies = await m.phase("compute", () => converse(server, lines, m));
  return { replies, measurement: m.asDict() };
};
