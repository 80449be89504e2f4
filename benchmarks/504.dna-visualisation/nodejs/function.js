"use strict";
// 504.dna-visualisation: a squiggle-style 2D line of a DNA sequence (see ../input.py).

const crypto = require("node:crypto");
const storageClient = require("faaslab_storage");

const OFFSETS = { A: 1.0, T: -1.0, G: 0.5, C: -0.5 };

exports.handler = async (event) => {
  const storage = storageClient.get();
  const bucket = event.bucket.bucket;
  const key = event.object.key;
  const m = new storageClient.Measurement();
  const data = await m.phase("download", async () =>
    m.count("download", await storage.download(bucket, `${event.bucket.input}/${key}`)),
  );
  const { bases, points, digest, body } = await m.phase("compute", () => {
    const seq = data
      .toString("utf8")
      .split("\n")
      .filter((line) => !line.startsWith(">"))
      .map((line) => line.trim())
      .join("")
      .toUpperCase();
    const xs = [0.0];
    const ys = [0.0];
    for (let i = 0; i < seq.length; i++) {
      xs.push(i + 0.5, i + 1.0);
      ys.push(OFFSETS[seq[i]] ?? 0.0, 0.0);
    }
    // The points in half steps, exact integers (input.py's digest).
    const hash = crypto.createHash("sha256");
    for (let i = 0; i < xs.length; i++) {
      hash.update(`${i ? ";" : ""}${Math.round(2 * xs[i])},${Math.round(2 * ys[i])}`);
    }
    return {
      bases: seq.length,
      points: xs.length,
      digest: hash.digest("hex"),
      body: Buffer.from(JSON.stringify({ x: xs, y: ys })),
    };
  });
  const outputKey = `${event.bucket.output}/${key}.json`;
  await m.phase("upload", () => storage.upload(bucket, outputKey, m.count("upload", body)));
  return {
    output_key: outputKey,
    bases,
    points,
    sha256: digest,
    measurement: m.asDict(),
  };
};
