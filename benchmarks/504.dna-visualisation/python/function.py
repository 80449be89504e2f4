"""504.dna-visualisation: a squiggle-style 2D line of a DNA sequence (see input.py)."""

import hashlib
import json

import faaslab_storage

OFFSETS = {"A": 1.0, "T": -1.0, "G": 0.5, "C": -0.5}


def handler(event):
    storage = faaslab_storage.get()
    bucket = event["bucket"]["bucket"]
    key = event["object"]["key"]
    m = faaslab_storage.Measurement()
    with m.phase("download"):
        data = m.count("download", storage.download(bucket, f"{event['bucket']['input']}/{key}"))
    with m.phase("compute"):
        seq = "".join(line.strip() for line in data.decode().splitlines() if not line.startswith(">"))
        xs, ys = [0.0], [0.0]
        for i, base in enumerate(seq.upper()):
            xs += [i + 0.5, i + 1.0]
            ys += [OFFSETS.get(base, 0.0), 0.0]
        # The points in half steps, exact integers (input.py's digest).
        text = ";".join(f"{round(2 * x)},{round(2 * y)}" for x, y in zip(xs, ys))
        body = json.dumps({"x": xs, "y": ys}).encode()
    output_key = f"{event['bucket']['output']}/{key}.json"
    with m.phase("upload"):
        storage.upload(bucket, output_key, m.count("upload", body))
    return {
        "output_key": output_key,
        "bases": len(seq),
        "points": len(xs),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "measurement": m.as_dict(),
    }
