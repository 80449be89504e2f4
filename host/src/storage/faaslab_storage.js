"use strict";
// Object storage for Node.js benchmark functions (standard library only; Node 18+).
//
// Shipped into every Node.js code package as node_modules/faaslab_storage.js, the
// counterpart of faaslab_storage.py. The host passes the run's storage in the
// environment (host/src/storage/*.rs, `function_env`):
//   FAASLAB_STORAGE_BACKEND   "local" or "s3"
//   FAASLAB_STORAGE_ROOT      local: directory holding one directory per bucket
//   FAASLAB_STORAGE_ENDPOINT  s3: endpoint URL (path-style requests, SigV4)
//   AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN  s3
// Usage (every operation returns a Promise):
//   const storage = require("faaslab_storage").get();
//   await storage.upload(bucket, key, buffer); await storage.download(bucket, key);
//   await storage.list(bucket, prefix) -> [[key, size], ...]
//
// Benchmarks report where an invocation's time went with `Measurement` (returned as
// `output.measurement`, copied by the host into the result record's `breakdown`):
//   const m = new Measurement();
//   const data = await m.phase("download", async () => m.count("download", await storage.download(b, k)));

const crypto = require("node:crypto");
const fsp = require("node:fs/promises");
const http = require("node:http");
const https = require("node:https");
const path = require("node:path");

const PHASES = ["download", "compute", "upload"];

/** Download / compute / upload time (µs) and bytes of one invocation. */
class Measurement {
  constructor() {
    this.values = {};
    for (const p of PHASES) this.values[`${p}_us`] = 0;
    this.values.download_bytes = 0;
    this.values.upload_bytes = 0;
  }

  /** Run `work` (sync or async) and add its duration to phase `name`; returns its result. */
  async phase(name, work) {
    if (!PHASES.includes(name)) throw new RangeError(`unknown phase ${JSON.stringify(name)}`);
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      this.values[`${name}_us`] += Number((process.hrtime.bigint() - start) / 1000n);
    }
  }

  /** Add data.length to the bytes downloaded or uploaded; returns data. */
  count(name, data) {
    if (name !== "download" && name !== "upload") {
      throw new RangeError(`phase ${JSON.stringify(name)} counts no bytes`);
    }
    this.values[`${name}_bytes`] += data.length;
    return data;
  }

  asDict() {
    return { ...this.values };
  }
}

class LocalStorage {
  constructor(root) {
    this.root = root;
  }

  _path(bucket, key) {
    const parts = String(key).split("/");
    if (!key || parts.some((p) => p === "" || p === "." || p === "..")) {
      throw new RangeError(`invalid key ${JSON.stringify(key)}`);
    }
    return path.join(this.root, bucket, ...parts);
  }

  async upload(bucket, key, data) {
    const target = this._path(bucket, key);
    const dir = path.dirname(target);
    await fsp.mkdir(dir, { recursive: true });
    // Written beside the target under a "#" name (skipped by list), then renamed.
    const tmp = path.join(dir, `#${crypto.randomBytes(8).toString("hex")}`);
    try {
      await fsp.writeFile(tmp, data);
      await fsp.rename(tmp, target);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  async download(bucket, key) {
    return fsp.readFile(this._path(bucket, key));
  }

  async list(bucket, prefix) {
    const base = path.join(this.root, bucket);
    const trimmed = String(prefix).replace(/^\/+|\/+$/g, "");
    const start = trimmed ? path.join(base, ...trimmed.split("/")) : base;
    const out = [];
    const walk = async (dir) => {
      let entries;
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (err.code === "ENOENT" || err.code === "ENOTDIR") return;
        throw err;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          await walk(p);
        } else if (e.isFile() && !e.name.startsWith("#")) {
          const key = path.relative(base, p).split(path.sep).join("/");
          out.push([key, (await fsp.stat(p)).size]);
        }
      }
    };
    await walk(start);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

/** RFC 3986 percent-encoding as SigV4 wants it (unreserved: A-Z a-z 0-9 - _ . ~). */
function uriEncode(text, keepSlash) {
  let out = "";
  for (const byte of Buffer.from(String(text), "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === "/")) {
      out += c;
    } else {
      out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

const sha256Hex = (data) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key, text) => crypto.createHmac("sha256", key).update(text).digest();

/** The text of every `<tag>…</tag>` in `xml`, entities decoded. */
function xmlAll(xml, tag) {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  const out = [];
  let m;
  while ((m = re.exec(xml)) !== null) out.push(xmlText(m[1]));
  return out;
}

function xmlText(text) {
  return text.replace(/&(lt|gt|quot|apos|amp|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e) => {
    switch (e) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
      case "amp":
        return "&";
      default:
        return String.fromCodePoint(
          e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10),
        );
    }
  });
}

/** Path-style S3 requests signed with AWS Signature Version 4. */
class S3Storage {
  constructor(endpoint, region, accessKeyId, secretAccessKey, sessionToken) {
    const url = new URL(endpoint);
    this.https = url.protocol === "https:";
    this.host = url.host;
    this.hostname = url.hostname.replace(/^\[|\]$/g, "");
    this.port = url.port ? Number(url.port) : this.https ? 443 : 80;
    this.region = region;
    this.accessKeyId = accessKeyId;
    this.secretAccessKey = secretAccessKey;
    this.sessionToken = sessionToken || null;
  }

  /** Path-style request path and canonical query string. */
  static target(bucket, key, query) {
    const p = "/" + uriEncode(bucket, false) + "/" + uriEncode(key, true);
    const canonicalQuery = Object.keys(query)
      .sort()
      .map((k) => `${uriEncode(k, false)}=${uriEncode(query[k], false)}`)
      .join("&");
    return [p, canonicalQuery];
  }

  /** Headers of a request signed with SigV4 at `now` (a Date). */
  signedHeaders(method, p, canonicalQuery, body, now) {
    const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const date = amzDate.slice(0, 8);
    const payloadHash = sha256Hex(body);
    const headers = {
      host: this.host,
      "x-amz-content-sha256": payloadHash,
      "x-amz-date": amzDate,
    };
    if (this.sessionToken) headers["x-amz-security-token"] = this.sessionToken;
    const names = Object.keys(headers).sort();
    const signed = names.join(";");
    const canonicalHeaders = names.map((k) => `${k}:${headers[k]}\n`).join("");
    const canonical = [method, p, canonicalQuery, canonicalHeaders, signed, payloadHash].join(
      "\n",
    );
    const scope = `${date}/${this.region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
    let key = Buffer.from("AWS4" + this.secretAccessKey, "utf8");
    for (const part of [date, this.region, "s3", "aws4_request"]) key = hmac(key, part);
    const signature = crypto.createHmac("sha256", key).update(toSign).digest("hex");
    headers.authorization =
      `AWS4-HMAC-SHA256 Credential=${this.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signed}, Signature=${signature}`;
    return headers;
  }

  request(method, bucket, key = "", query = {}, body = Buffer.alloc(0)) {
    const [p, canonicalQuery] = S3Storage.target(bucket, key, query);
    const headers = this.signedHeaders(method, p, canonicalQuery, body, new Date());
    headers["content-length"] = String(body.length);
    const transport = this.https ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        {
          method,
          hostname: this.hostname,
          port: this.port,
          path: p + (canonicalQuery ? "?" + canonicalQuery : ""),
          headers,
          timeout: 60_000,
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            if (res.statusCode >= 300) {
              reject(new Error(`S3 ${method} ${bucket}/${key}: HTTP ${res.statusCode}`));
            } else {
              resolve(Buffer.concat(chunks));
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`S3 ${method} ${bucket}/${key}: timed out`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  async upload(bucket, key, data) {
    await this.request("PUT", bucket, key, {}, Buffer.from(data));
  }

  async download(bucket, key) {
    return this.request("GET", bucket, key);
  }

  async list(bucket, prefix) {
    const trimmed = String(prefix).replace(/^\/+|\/+$/g, "");
    const query = { "list-type": "2" };
    if (trimmed) query.prefix = trimmed + "/";
    const out = [];
    for (;;) {
      const xml = (await this.request("GET", bucket, "", query)).toString("utf8");
      for (const contents of xml.match(/<Contents>[\s\S]*?<\/Contents>/g) || []) {
        out.push([xmlAll(contents, "Key")[0], Number(xmlAll(contents, "Size")[0])]);
      }
      const token = xmlAll(xml, "NextContinuationToken")[0];
      if (xmlAll(xml, "IsTruncated")[0] !== "true" || token === undefined) {
        return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      }
      query["continuation-token"] = token;
    }
  }
}

/** The run's storage, from the environment the host set. */
function get() {
  const env = process.env;
  const backend = env.FAASLAB_STORAGE_BACKEND;
  if (backend === "local") return new LocalStorage(env.FAASLAB_STORAGE_ROOT);
  if (backend === "s3") {
    for (const name of ["FAASLAB_STORAGE_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      if (!env[name]) throw new Error(`s3 storage: ${name} is not set`);
    }
    return new S3Storage(
      env.FAASLAB_STORAGE_ENDPOINT,
      env.AWS_REGION || "us-east-1",
      env.AWS_ACCESS_KEY_ID,
      env.AWS_SECRET_ACCESS_KEY,
      env.AWS_SESSION_TOKEN,
    );
  }
  throw new Error(`no function-side storage client for backend ${JSON.stringify(backend)}`);
}

module.exports = { Measurement, LocalStorage, S3Storage, get };
