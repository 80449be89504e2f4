"""Inputs and output validation of 030.clock-synchronization.

`${udp-timestamp}` in the payload is replaced by the host with the address
(`ip:port`) of a UDP endpoint in timestamp mode it runs for the benchmark
(docs/benchmarks.md); an experiment passes its own (`network.open-udp(timestamp)`).
Without `server` the function only reports its handler start time (the payload-size
sweep of invocation-overhead).
"""

from faaslab_network import check_exchanges, is_count

SIZES = {
    "test": {"repetitions": 10},
    "small": {"repetitions": 100},
    "large": {"repetitions": 1000},
}

# Wall-clock µs since the epoch of any plausible timestamp: after 2020-01-01 and
# before 2100-01-01.
EARLIEST_US = 1_577_836_800_000_000
LATEST_US = 4_102_444_800_000_000
# Rounding of four µs timestamps: a delay may come out this far below zero.
ROUNDING_US = 2


def generate_input(size, seed):
    return dict(SIZES[size], server="${udp-timestamp}", timeout_ms=1000)


def is_timestamp(v):
    return is_count(v) and EARLIEST_US <= v <= LATEST_US


def check_sample(i, s, timeout_us):
    """Why sample `i` ([t1, t2, t3, t4]) is impossible, or None."""
    if not isinstance(s, list) or len(s) != 4 or not all(is_timestamp(t) for t in s):
        return f"sample {i} is not four wall-clock µs timestamps: {s!r}"
    t1, t2, t3, t4 = s
    if not t1 <= t4:
        return f"sample {i}: reply read (t4 {t4}) before the request was sent (t1 {t1})"
    if not t2 <= t3:
        return f"sample {i}: host answered (t3 {t3}) before it received (t2 {t2})"
    if t4 - t1 > timeout_us:
        return f"sample {i}: round trip of {t4 - t1} µs is longer than the {timeout_us} µs timeout"
    if (t4 - t1) - (t3 - t2) < -ROUNDING_US:
        return f"sample {i}: the host spent longer ({t3 - t2} µs) than the round trip ({t4 - t1} µs)"
    return None


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    start = output.get("handler_start_us")
    if not is_timestamp(start):
        return False, f"`handler_start_us` is not a wall-clock µs timestamp: {start!r}"
    if "server" not in payload:
        return True, "ok"
    why = check_exchanges(payload, output, "samples", "samples")
    if why:
        return False, why
    samples = output["samples"]
    timeout_us = payload.get("timeout_ms", 1000) * 1000
    for i, s in enumerate(samples):
        why = check_sample(i, s, timeout_us)
        if why:
            return False, why
    if samples[0][0] < start:
        return False, f"the first exchange (t1 {samples[0][0]}) began before the handler ({start})"
    if any(b[0] < a[3] for a, b in zip(samples, samples[1:])):
        return False, "exchanges overlap: one was sent before the previous reply was read"
    # The estimate is the offset and delay of the sample with the smallest delay.
    t1, t2, t3, t4 = min(samples, key=lambda s: (s[3] - s[0]) - (s[2] - s[1]))
    want = {"offset_us": ((t2 - t1) + (t3 - t4)) / 2, "delay_us": (t4 - t1) - (t3 - t2)}
    for field, value in want.items():
        got = output.get(field)
        if not isinstance(got, (int, float)) or isinstance(got, bool) or abs(got - value) > 1e-6:
            return False, f"`{field}` is {got!r}; its best sample gives {value}"
    return True, "ok"
