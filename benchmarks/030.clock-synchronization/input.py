"""Inputs and output validation of 030.clock-synchronization.

The exchange needs `server` ("ip:port" of a UDP endpoint in timestamp mode); the
generator cannot know it, so an experiment adds it. Without `server` the function
only reports its handler start time (the payload-size sweep of invocation-overhead).
"""

SIZES = {
    "test": {"repetitions": 10},
    "small": {"repetitions": 100},
    "large": {"repetitions": 1000},
}


def generate_input(size, seed):
    return dict(SIZES[size], timeout_ms=1000)


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    if not isinstance(output.get("handler_start_us"), int):
        return False, "output has no integer `handler_start_us`"
    if "server" not in payload:
        return True, "ok"
    samples = output.get("samples")
    if not isinstance(samples, list) or not all(
        isinstance(s, list) and len(s) == 4 and s[0] <= s[3] and s[1] <= s[2] for s in samples
    ):
        return False, "`samples` must be [t1, t2, t3, t4] lists with t1 <= t4 and t2 <= t3"
    if len(samples) + output.get("lost", -1) != payload["repetitions"]:
        return False, "samples + lost != repetitions"
    if samples and not isinstance(output.get("offset_us"), (int, float)):
        return False, "output has no `offset_us`"
    return True, "ok"
