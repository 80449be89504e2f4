"use strict";
// 020.network-benchmark: UDP round trips to the endpoint named in `server`.
//
// Packet i starts with its sequence number (8 ASCII digits) and is padded to
// `packet_size` bytes; the endpoint echoes it. A reply that does not carry the number
// of the packet in flight (a late reply of a lost one) is skipped. RTTs are measured
// with the monotonic clock, in µs. The exchange is the `compute` phase of the
// measurement; the bytes sent and received count as upload and download.

const { Measurement } = require("faaslab_storage");
const { parseServer, openUdp } = require("./udp");

const MAX_REPETITIONS = 100_000;
const MAX_PACKET = 1472;

exports.handler = async (event) => {
  if (!("server" in event)) {
    throw new RangeError('payload has no `server` ("ip:port" of a UDP echo endpoint)');
  }
  const server = parseServer(event.server);
  const repetitions = Number.parseInt(event.repetitions ?? 10, 10);
  const size = Number.parseInt(event.packet_size ?? 64, 10);
  const timeoutMs = Number(event.timeout_ms ?? 1000);
  if (!(repetitions > 0 && repetitions <= MAX_REPETITIONS)) {
    throw new RangeError(`repetitions must be 1..${MAX_REPETITIONS}`);
  }
  if (!(size >= 8 && size <= MAX_PACKET)) {
    throw new RangeError(`packet_size must be 8..${MAX_PACKET}`);
  }
  const m = new Measurement();
  const rtts = [];
  let lost = 0;
  await m.phase("compute", async () => {
    const udp = await openUdp(server);
    try {
      for (let i = 0; i < repetitions; i++) {
        const seq = String(i).padStart(8, "0");
        const message = Buffer.alloc(size, "x");
        message.write(seq, 0, "latin1");
        const t0 = process.hrtime.bigint();
        udp.send(m.count("upload", message));
        const reply = await udp.receive(timeoutMs, (data) => {
          m.count("download", data);
          return data.subarray(0, 8).toString("latin1") === seq;
        });
        if (reply === null) lost += 1;
        else rtts.push(Number((process.hrtime.bigint() - t0) / 1000n));
      }
    } finally {
      udp.close();
    }
  });
  return { rtts_us: rtts, lost, packet_size: size, repetitions, measurement: m.asDict() };
};
