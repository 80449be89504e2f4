"""Inputs and output validation of 504.dna-visualisation.

The generator writes a seeded DNA sequence as FASTA into the input prefix. The
function turns it into a squiggle-style line (after Lee's Squiggle method, our own
definition): every base moves x by 1 in two half steps, the middle point rises or
falls by the base's offset, the end point returns to the line's level:
A +1, T -1, G +0.5, C -0.5. The validator recomputes the line from the seed.
"""

import hashlib
import random

SIZES = {"test": 1_000, "small": 100_000, "large": 2_000_000}
OFFSETS = {"A": 1.0, "T": -1.0, "G": 0.5, "C": -0.5}


def sequence(size, seed):
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(SIZES[size]))


def fasta(seq, name):
    lines = [f">{name}"] + [seq[i : i + 60] for i in range(0, len(seq), 60)]
    return ("\n".join(lines) + "\n").encode()


def squiggle(seq):
    """(xs, ys) of the line: 2 * len(seq) + 1 points starting at (0, 0)."""
    xs, ys = [0.0], [0.0]
    for i, base in enumerate(seq):
        xs += [i + 0.5, i + 1.0]
        ys += [OFFSETS[base], 0.0]
    return xs, ys


def digest(xs, ys):
    """sha256 of the points in half steps ("2x,2y;…"): every coordinate is a multiple
    of 0.5, so these integers are exact in any language (a float format is not)."""
    text = ";".join(f"{round(2 * x)},{round(2 * y)}" for x, y in zip(xs, ys))
    return hashlib.sha256(text.encode()).hexdigest()


def generate_input(size, seed, storage):
    key = f"{size}-{seed}.fasta"
    storage.upload(0, key, fasta(sequence(size, seed), f"faaslab-{size}-{seed}"))
    return {
        "bucket": {"bucket": storage.bucket, "input": storage.inputs[0], "output": storage.outputs[0]},
        "object": {"key": key},
        "size": size,
        "seed": seed,
    }


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    seq = sequence(payload["size"], payload["seed"])
    xs, ys = squiggle(seq)
    if output.get("bases") != len(seq):
        return False, f"read {output.get('bases')} bases, expected {len(seq)}"
    if output.get("points") != len(xs):
        return False, f"drew {output.get('points')} points, expected {len(xs)}"
    if output.get("sha256") != digest(xs, ys):
        return False, "the line's points differ from the squiggle of the sequence"
    want_key = f"{payload['bucket']['output']}/{payload['object']['key']}.json"
    if output.get("output_key") != want_key:
        return False, f"points written to {output.get('output_key')}, expected {want_key}"
    return True, "ok"
