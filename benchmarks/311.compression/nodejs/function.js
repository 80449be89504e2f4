"use strict";
// 311.compression: zip a directory read from storage and write the archive back.
// The ZIP container (local headers, central directory, end record; deflate from
// node:zlib) is written here: Node's standard library has deflate but no ZIP writer.

const crypto = require("node:crypto");
const zlib = require("node:zlib");
const storageClient = require("faaslab_storage");

// Fixed timestamps (1980-01-01 00:00:00 in MS-DOS format): the same input gives the
// same archive.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data) {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The fields local and central headers share, from `at`: version needed, flags,
 * method, time, date, CRC-32, compressed and uncompressed size, name length.
 */
function writeEntryFields(buf, at, entry) {
  buf.writeUInt16LE(20, at); // version needed: 2.0 (deflate)
  buf.writeUInt16LE(0x0800, at + 2); // flags: names are UTF-8
  buf.writeUInt16LE(8, at + 4); // method: deflate
  buf.writeUInt16LE(DOS_TIME, at + 6);
  buf.writeUInt16LE(DOS_DATE, at + 8);
  buf.writeUInt32LE(entry.crc, at + 10);
  buf.writeUInt32LE(entry.deflated, at + 14);
  buf.writeUInt32LE(entry.size, at + 18);
  buf.writeUInt16LE(entry.name, at + 22);
}

/** A deflated ZIP archive of `entries` ([name, Buffer] pairs), as one Buffer. */
function zip(entries) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    const deflated = zlib.deflateRawSync(data);
    const entry = {
      crc: crc32(data),
      deflated: deflated.length,
      size: data.length,
      name: nameBytes.length,
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, entry);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
    writeEntryFields(header, 6, entry);
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: rw-r--r--
    header.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, deflated);
    central.push(header, nameBytes);
    offset += local.length + nameBytes.length + deflated.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralBytes, end]);
}

exports.handler = async (event) => {
  const bucket = event.bucket.bucket;
  const prefix = `${event.bucket.input}/${event.object.key}`;
  const storage = storageClient.get();
  const m = new storageClient.Measurement();
  const files = await m.phase("download", async () => {
    const objects = await storage.list(bucket, prefix);
    const out = [];
    for (const [key] of objects) {
      out.push([key, m.count("download", await storage.download(bucket, key))]);
    }
    return out;
  });
  let inputBytes = 0;
  const archive = await m.phase("compute", () => {
    const entries = files.map(([key, data]) => {
      inputBytes += data.length;
      return [key.slice(prefix.length + 1), data];
    });
    return zip(entries);
  });
  const outputKey = `${event.bucket.output}/${event.object.key}.zip`;
  await m.phase("upload", () => storage.upload(bucket, outputKey, m.count("upload", archive)));
  return {
    output_key: outputKey,
    files: files.length,
    input_bytes: inputBytes,
    archive_bytes: archive.length,
    archive_sha256: crypto.createHash("sha256").update(archive).digest("hex"),
    measurement: m.asDict(),
  };
};
