"use strict";
// 010.sleep: sleep for `event.sleep` seconds (0 makes it a no-op).

const { setTimeout: sleep } = require("node:timers/promises");
const { Measurement } = require("faaslab_storage");

exports.handler = async (event) => {
  const seconds = Number(event.sleep ?? 0);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError("sleep must be a non-negative number");
  }
  const m = new Measurement();
  await m.phase("compute", async () => {
    if (seconds > 0) await sleep(seconds * 1000);
  });
  return { slept_s: seconds, measurement: m.asDict() };
};
