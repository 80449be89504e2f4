"use strict";
// 120.uploader: download `url` and upload the bytes to the output prefix.

const crypto = require("node:crypto");
const http = require("node:http");
const https = require("node:https");
const storageClient = require("faaslab_storage");

/** The body of GET `url` (status 200 only), within 30 s. */
function fetchBytes(url) {
  const transport = new URL(url).protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.get(url, { timeout: 30_000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        return;
      }
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve(Buffer.concat(chunks)));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on("error", reject);
  });
}

exports.handler = async (event) => {
  const m = new storageClient.Measurement();
  const data = await m.phase("download", async () =>
    m.count("download", await fetchBytes(event.url)),
  );
  const digest = await m.phase("compute", () =>
    crypto.createHash("sha256").update(data).digest("hex"),
  );
  const key = `${event.bucket.output}/${event.object.key}`;
  await m.phase("upload", () =>
    storageClient.get().upload(event.bucket.bucket, key, m.count("upload", data)),
  );
  return { output_key: key, bytes: data.length, sha256: digest, measurement: m.asDict() };
};
