"use strict";
// 220.video-processing: transcode a video at half size and make a GIF of its start
// (ffmpeg and ffprobe from the platform's image, run as child processes).

const { execFile } = require("node:child_process");
const fsp = require("node:fs/promises");
const os = require("node:os");
const path = require("node:path");
const { promisify } = require("node:util");
const storageClient = require("faaslab_storage");

const run = promisify(execFile);

async function ffmpeg(...args) {
  await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", ...args], {
    maxBuffer: 16 << 20,
  });
}

async function probe(file) {
  const { stdout } = await run(
    "ffprobe",
    [
      "-v", "error", "-count_frames", "-show_entries",
      "stream=width,height,nb_read_frames:format=format_name", "-of", "json", file,
    ],
    { maxBuffer: 16 << 20 },
  );
  const info = JSON.parse(stdout);
  const stream = info.streams[0];
  return {
    width: stream.width,
    height: stream.height,
    frames: Number.parseInt(stream.nb_read_frames ?? "0", 10),
    format: info.format.format_name,
  };
}

exports.handler = async (event) => {
  const bucket = event.bucket.bucket;
  const key = event.object.key;
  const stem = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : key;
  const storage = storageClient.get();
  const m = new storageClient.Measurement();
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "faaslab-220-"));
  try {
    const src = path.join(tmp, "in.mp4");
    await m.phase("download", async () => {
      const data = await storage.download(bucket, `${event.bucket.input}/${key}`);
      await fsp.writeFile(src, m.count("download", data));
    });
    const video = path.join(tmp, "half.mp4");
    const gif = path.join(tmp, "start.gif");
    const results = await m.phase("compute", async () => {
      await ffmpeg("-i", src, "-vf", "scale=iw/2:ih/2", "-c:v", "mpeg4", "-q:v", "5", video);
      const seconds = String(event.object.gif_seconds ?? 1);
      await ffmpeg("-t", seconds, "-i", src, "-vf", "fps=10,scale=iw/2:-1", gif);
      return { video: await probe(video), gif: await probe(gif) };
    });
    await m.phase("upload", async () => {
      for (const [name, file] of [["video", video], ["gif", gif]]) {
        const body = m.count("upload", await fsp.readFile(file));
        const outKey = `${event.bucket.output}/${stem}-${path.basename(file)}`;
        await storage.upload(bucket, outKey, body);
        Object.assign(results[name], { key: outKey, bytes: body.length });
      }
    });
    return { ...results, measurement: m.asDict() };
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
};
