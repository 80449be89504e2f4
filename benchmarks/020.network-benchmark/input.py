"""Inputs and output validation of 020.network-benchmark.

`${udp-echo}` in the payload is replaced by the host with the address (`ip:port`) of
a UDP echo endpoint it runs for the benchmark (docs/benchmarks.md); an experiment
passes its own (`network.open-udp(echo)`).
"""

from faaslab_network import check_exchanges, is_count

SIZES = {
    "test": {"repetitions": 10, "packet_size": 64},
    "small": {"repetitions": 100, "packet_size": 64},
    "large": {"repetitions": 1000, "packet_size": 1024},
}


def generate_input(size, seed):
    return dict(SIZES[size], server="${udp-echo}", timeout_ms=1000)


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    for field in ("repetitions", "packet_size"):
        if output.get(field) != payload.get(field, output.get(field)):
            return False, f"`{field}` is {output.get(field)!r}, the payload asked for {payload.get(field)!r}"
    why = check_exchanges(payload, output, "rtts_us", "round trips")
    if why:
        return False, why
    rtts = output["rtts_us"]
    if not all(is_count(r) for r in rtts):
        return False, "`rtts_us` are not all non-negative integers"
    # A reply is awaited at most timeout_ms: a longer round trip cannot have been measured.
    timeout_us = payload.get("timeout_ms", 1000) * 1000
    slow = [r for r in rtts if r > timeout_us]
    if slow:
        return False, f"round trip of {slow[0]} µs is longer than the {timeout_us} µs timeout"
    return True, "ok"
