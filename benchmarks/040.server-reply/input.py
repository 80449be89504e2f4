"""Inputs and output validation of 040.server-reply.

`${reply-server}` in the payload is replaced by the host with the address
(`ip:port`) of the reply server it runs for the benchmark (docs/benchmarks.md): it
answers each line `<text>` with `faaslab-reply <text>`.
"""

SIZES = {"test": 1, "small": 10, "large": 100}


def generate_input(size, seed):
    return {"server": "${reply-server}", "requests": SIZES[size], "token": f"seed-{seed}"}


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    replies = output.get("replies")
    if not isinstance(replies, list) or len(replies) != payload["requests"]:
        return False, f"got {replies if not isinstance(replies, list) else len(replies)} replies, expected {payload['requests']}"
    for i, reply in enumerate(replies):
        want = f"faaslab-reply {payload['token']}-{i}"
        if reply != want:
            return False, f"reply {i} is {reply!r}, expected {want!r}"
    return True, "ok"
