"""Inputs and output validation of 220.video-processing.

The generator renders a video with ffmpeg's `testsrc` source (no file is
downloaded; bit-exact flags make the same seed and size give the same bytes) into
the input prefix. Needs `ffmpeg` (Debian package) where the generator runs.
"""

import os
import subprocess
import tempfile

# (width, height, seconds, frames per second)
SIZES = {"test": (160, 120, 1, 10), "small": (320, 240, 5, 25), "large": (640, 480, 20, 25)}


def render(width, height, seconds, fps):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "video.mp4")
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi",
             "-i", f"testsrc=duration={seconds}:size={width}x{height}:rate={fps}",
             "-c:v", "mpeg4", "-q:v", "5", "-threads", "1", "-pix_fmt", "yuv420p",
             "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", path],
            check=True,
        )
        with open(path, "rb") as f:
            return f.read()


def generate_input(size, seed, storage):
    width, height, seconds, fps = SIZES[size]
    key = f"{size}.mp4"
    storage.upload(0, key, render(width, height, seconds, fps))
    return {
        "bucket": {"bucket": storage.bucket, "input": storage.inputs[0], "output": storage.outputs[0]},
        "object": {"key": key, "op": "transcode-and-gif", "gif_seconds": 1},
        "source": {"width": width, "height": height, "frames": seconds * fps},
    }


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    src = payload["source"]
    video = output.get("video")
    if not isinstance(video, dict):
        return False, "no `video` description"
    want = {"width": src["width"] // 2, "height": src["height"] // 2}
    if video.get("width") != want["width"] or video.get("height") != want["height"]:
        return False, f"transcoded to {video.get('width')}x{video.get('height')}, expected {want['width']}x{want['height']}"
    if video.get("frames") != src["frames"]:
        return False, f"transcoded video has {video.get('frames')} frames, expected {src['frames']}"
    gif = output.get("gif")
    if not isinstance(gif, dict) or gif.get("format") != "gif" or not gif.get("bytes"):
        return False, "no GIF was made"
    prefix = f"{payload['bucket']['output']}/"
    for what in (video, gif):
        if not str(what.get("key", "")).startswith(prefix):
            return False, f"{what.get('key')} is not under {prefix}"
    return True, "ok"
