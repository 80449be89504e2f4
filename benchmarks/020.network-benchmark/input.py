"""Inputs and output validation of 020.network-benchmark.

The payload needs `server` ("ip:port" of a UDP echo endpoint); the generator cannot
know it, so an experiment adds it (faaslab's `network.open-udp(echo)` gives one).
"""

SIZES = {
    "test": {"repetitions": 10, "packet_size": 64},
    "small": {"repetitions": 100, "packet_size": 64},
    "large": {"repetitions": 1000, "packet_size": 1024},
}


def generate_input(size, seed):
    return dict(SIZES[size], timeout_ms=1000)


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    rtts = output.get("rtts_us")
    if not isinstance(rtts, list) or not all(isinstance(r, int) and r >= 0 for r in rtts):
        return False, "output has no list of non-negative integer `rtts_us`"
    lost = output.get("lost")
    if not isinstance(lost, int) or lost < 0:
        return False, "output has no non-negative `lost`"
    if len(rtts) + lost != payload["repetitions"]:
        return False, f"{len(rtts)} round trips + {lost} lost != {payload['repetitions']} repetitions"
    return True, "ok"
