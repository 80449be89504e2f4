"""Inputs and output validation of 120.uploader.

Nothing is fetched from the internet: `${http-origin}` in the payload is replaced by
the host with the base URL (`http://ip:port`) of a small HTTP server it runs, which
answers `GET /bytes/<n>/<seed>` with `n` bytes of `seeded_bytes(n, seed)`.
"""

import hashlib

SIZES = {"test": 10_000, "small": 1_000_000, "large": 20_000_000}


def seeded_bytes(n, seed):
    """The origin's content: sha256("<seed>:<i>") for i = 0, 1, ... cut to n bytes."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


def generate_input(size, seed, storage):
    n = SIZES[size]
    return {
        "url": f"${{http-origin}}/bytes/{n}/{seed}",
        "bucket": {"bucket": storage.bucket, "output": storage.outputs[0]},
        "object": {"key": f"{size}-{seed}.bin"},
        "bytes": n,
        "seed": seed,
    }


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    want_key = f"{payload['bucket']['output']}/{payload['object']['key']}"
    if output.get("output_key") != want_key:
        return False, f"uploaded to {output.get('output_key')}, expected {want_key}"
    if output.get("bytes") != payload["bytes"]:
        return False, f"uploaded {output.get('bytes')} bytes, expected {payload['bytes']}"
    want = hashlib.sha256(seeded_bytes(payload["bytes"], payload["seed"])).hexdigest()
    if output.get("sha256") != want:
        return False, "uploaded content differs from what the origin serves"
    return True, "ok"
