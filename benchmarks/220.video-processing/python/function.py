"""220.video-processing: transcode a video at half size and make a GIF of its start
(ffmpeg and ffprobe from the platform's image)."""

import json
import os
import subprocess
import tempfile

import faaslab_storage


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def probe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=width,height,nb_read_frames:format=format_name", "-of", "json", path],
        check=True, capture_output=True,
    ).stdout
    info = json.loads(out)
    stream = info["streams"][0]
    return {
        "width": stream["width"],
        "height": stream["height"],
        "frames": int(stream.get("nb_read_frames", 0)),
        "format": info["format"]["format_name"],
    }


def handler(event):
    bucket = event["bucket"]["bucket"]
    key = event["object"]["key"]
    stem = key.rsplit(".", 1)[0]
    storage = faaslab_storage.get()
    m = faaslab_storage.Measurement()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.mp4")
        with m.phase("download"):
            data = m.count("download", storage.download(bucket, f"{event['bucket']['input']}/{key}"))
            with open(src, "wb") as f:
                f.write(data)
        video, gif = os.path.join(tmp, "half.mp4"), os.path.join(tmp, "start.gif")
        with m.phase("compute"):
            ffmpeg("-i", src, "-vf", "scale=iw/2:ih/2", "-c:v", "mpeg4", "-q:v", "5", video)
            seconds = str(event["object"].get("gif_seconds", 1))
            ffmpeg("-t", seconds, "-i", src, "-vf", "fps=10,scale=iw/2:-1", gif)
            results = {"video": probe(video), "gif": probe(gif)}
        with m.phase("upload"):
            for name, path in (("video", video), ("gif", gif)):
                with open(path, "rb") as f:
                    body = m.count("upload", f.read())
                out_key = f"{event['bucket']['output']}/{stem}-{os.path.basename(path)}"
                storage.upload(bucket, out_key, body)
                results[name].update({"key": out_key, "bytes": len(body)})
    return {**results, "measurement": m.as_dict()}
