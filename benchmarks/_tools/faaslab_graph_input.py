"""The input generator the 50x graph benchmarks share: a seeded graph (faaslab_graphs)
written as text (`n m` then `u v weight` lines) into the input prefix."""

import faaslab_graphs

SIZES = {"test": 10, "small": 10_000, "large": 100_000}
ATTACH = 3  # edges each new vertex brings


def generate_input(size, seed, storage):
    n = SIZES[size]
    key = f"graph-{size}-{seed}.txt"
    storage.upload(0, key, faaslab_graphs.to_text(n, faaslab_graphs.barabasi_albert(n, ATTACH, seed)))
    return {
        "bucket": {"bucket": storage.bucket, "input": storage.inputs[0]},
        "object": {"key": key},
        "graph": {"vertices": n, "attach": ATTACH, "seed": seed},
    }


def validator(check):
    """A benchmark's `validate_output`: common checks, then `check(output, n, edges)`,
    which returns what is wrong (or None) with the graph rebuilt from the seed."""

    def validate_output(payload, output):
        if not isinstance(output, dict):
            return False, "output is not an object"
        n = payload["graph"]["vertices"]
        if output.get("vertices") != n:
            return False, f"read a graph of {output.get('vertices')} vertices, expected {n}"
        edges = faaslab_graphs.barabasi_albert(n, payload["graph"]["attach"], payload["graph"]["seed"])
        problem = check(output, n, edges)
        return (False, problem) if problem else (True, "ok")

    return validate_output
