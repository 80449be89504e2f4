"use strict";
// 030.clock-synchronization: estimate this instance's clock offset to the host.
//
// Each round (NTP's four timestamps, wall clock µs): the function sends its sequence
// number at t1; the host endpoint (timestamp mode) stamps receipt t2 and reply t3 on its
// own clock and answers with both (big-endian u64 each) before the echoed datagram; the
// function reads the reply at t4. Per sample, offset = ((t2 - t1) + (t3 - t4)) / 2 (host
// clock minus function clock) and delay = (t4 - t1) - (t3 - t2); the estimate is the
// offset of the sample with the smallest delay, whose error is at most delay / 2.
//
// `handler_start_us` is the function's wall clock when the handler began, for one-way
// latency measurements (`padding` in the payload just makes it larger).

const dgram = require("node:dgram");
const { performance } = require("node:perf_hooks");
const { Measurement } = require("faaslab_storage");

const MAX_REPETITIONS = 100_000;

const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

function parseServer(text) {
  const s = String(text);
  const at = s.lastIndexOf(":");
  const host = s.slice(0, at).replace(/^\[|\]$/g, "");
  if (at < 0 || !host || !/^\d+$/.test(s.slice(at + 1))) {
    throw new RangeError(`server: expected "ip:port", got ${JSON.stringify(text)}`);
  }
  return { host, port: Number(s.slice(at + 1)) };
}

/**
 * Rounds of the exchange on one socket: for each sequence number, resolve with
 * [t1, t2, t3, t4] or null when no matching reply came within `timeoutMs`.
 */
async function exchange(server, repetitions, timeoutMs, m) {
  const socket = dgram.createSocket(server.host.includes(":") ? "udp6" : "udp4");
  await new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, resolve);
  });
  // A late ICMP error must not end the instance; a missing reply is counted as lost.
  socket.on("error", () => {});
  let current = null; // { seq, t1, done }
  socket.on("message", (data) => {
    const t4 = nowUs();
    m.count("download", data);
    if (current && data.length >= 24 && data.subarray(16, 24).equals(current.seq)) {
      const t2 = Number(data.readBigUInt64BE(0));
      const t3 = Number(data.readBigUInt64BE(8));
      current.done([current.t1, t2, t3, t4]);
    }
  });
  const samples = [];
  let lost = 0;
  try {
    for (let i = 0; i < repetitions; i++) {
      const seq = Buffer.from(String(i).padStart(8, "0"), "latin1");
      const sample = await new Promise((done) => {
        const timer = setTimeout(() => done(null), timeoutMs);
        current = {
          seq,
          t1: nowUs(),
          done: (s) => {
            clearTimeout(timer);
            done(s);
          },
        };
        socket.send(m.count("upload", seq), server.port, server.host);
      });
      current = null;
      if (sample) samples.push(sample);
      else lost += 1;
    }
  } finally {
    socket.close();
  }
  return { samples, lost };
}

exports.handler = async (event) => {
  const start = nowUs();
  const m = new Measurement();
  const out = { handler_start_us: start, payload_bytes: String(event.padding ?? "").length };
  if (!("server" in event)) {
    out.measurement = m.asDict();
    return out;
  }
  const server = parseServer(event.server);
  const repetitions = Number.parseInt(event.repetitions ?? 10, 10);
  const timeoutMs = Number(event.timeout_ms ?? 1000);
  if (!(repetitions > 0 && repetitions <= MAX_REPETITIONS)) {
    throw new RangeError(`repetitions must be 1..${MAX_REPETITIONS}`);
  }
  const { samples, lost } = await m.phase("compute", () =>
    exchange(server, repetitions, timeoutMs, m),
  );
  out.samples = samples;
  out.lost = lost;
  if (samples.length) {
    const delay = (s) => s[3] - s[0] - (s[2] - s[1]);
    const best = samples.reduce((a, b) => (delay(b) < delay(a) ? b : a));
    const [t1, t2, t3, t4] = best;
    out.offset_us = (t2 - t1 + (t3 - t4)) / 2;
    out.delay_us = delay(best);
  }
  out.measurement = m.asDict();
  return out;
};
