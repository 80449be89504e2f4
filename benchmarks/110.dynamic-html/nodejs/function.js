"use strict";
// 110.dynamic-html: render a page with `random_len` random numbers for a user.
// The numbers come from a generator seeded with `seed` (xorshift32 here; the Python
// version uses Python's own generator, so the two pages differ in their numbers only).

const crypto = require("node:crypto");
const { Measurement } = require("faaslab_storage");

// Pages above this size are described (bytes, sha256) but not returned.
const MAX_RETURNED_HTML = 32 * 1024;

const page = ({ username, curTime, rows }) => `<!DOCTYPE html>
<html>
  <head><title>Randomly generated data.</title></head>
  <body>
    <p>Welcome ${username}!</p>
    <p>Data generated at: ${curTime}!</p>
    <p>Requested random numbers:</p>
    <ul>
${rows}
    </ul>
  </body>
</html>
`;

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** Integers in [0, 1000000] from a xorshift32 generator seeded with `seed`. */
function randomNumbers(count, seed) {
  let state = (Number(seed) >>> 0) ^ 0x9e3779b9 || 1;
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state % 1000001;
  }
  return out;
}

function render(event) {
  const count = Number.parseInt(event.random_len, 10);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError("random_len must be a non-negative integer");
  }
  const numbers = randomNumbers(count, event.seed ?? 0);
  const html = page({
    username: escapeHtml(event.username ?? "anonymous"),
    curTime: new Date().toISOString(),
    rows: numbers.map((n) => `      <li>${n}</li>`).join("\n"),
  });
  const data = Buffer.from(html, "utf8");
  return {
    rows: count,
    html_bytes: data.length,
    sha256: crypto.createHash("sha256").update(data).digest("hex"),
    html: data.length <= MAX_RETURNED_HTML ? html : null,
  };
}

exports.handler = async (event) => {
  const m = new Measurement();
  const out = await m.phase("compute", () => render(event));
  out.measurement = m.asDict();
  return out;
};
