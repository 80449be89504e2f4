"""Inputs and output validation of 311.compression.

The generator writes a directory of seeded pseudo-random text files into the
benchmark's input prefix (nothing is downloaded); the payload names the bucket, the
prefixes and the directory.
"""

import random

SIZES = {"test": (3, 2_000), "small": (10, 50_000), "large": (20, 1_000_000)}
WORDS = ["faas", "cold", "warm", "bucket", "lambda", "latency", "sebs", "zip", "storage"]


def generate_input(size, seed, storage):
    files, file_bytes = SIZES[size]
    rng = random.Random(seed)
    for i in range(files):
        text = []
        length = 0
        while length < file_bytes:
            w = rng.choice(WORDS)
            text.append(w)
            length += len(w) + 1
        storage.upload(0, f"{size}/file-{i}.txt", " ".join(text).encode())
    return {
        "bucket": {
            "bucket": storage.bucket,
            "input": storage.inputs[0],
            "output": storage.outputs[0],
        },
        "object": {"key": size},
    }


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    want = f"{payload['bucket']['output']}/{payload['object']['key']}.zip"
    if output.get("output_key") != want:
        return False, f"archive written to {output.get('output_key')}, expected {want}"
    files = SIZES[payload["object"]["key"]][0]
    if output.get("files") != files:
        return False, f"archived {output.get('files')} files, expected {files}"
    if not output.get("archive_bytes") or output["archive_bytes"] >= output.get("input_bytes", 0):
        return False, "archive is empty or not smaller than its input"
    return True, "ok"
