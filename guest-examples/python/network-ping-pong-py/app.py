"""network-ping-pong (Python): UDP round trips between a function and the host.

The same experiment as guest-examples/rust/network-ping-pong: the host opens an echo
endpoint, 020.network-benchmark does `repetitions` round trips to it per invocation,
and every RTT becomes a measurement (series "ping-pong", name "rtt", µs).

`experiment` fields: `benchmark` (default "020.network-benchmark"), `invocations` (5),
`repetitions` (100), `packet_size` (64), `timeout_ms` (1000).
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import network, platform, results, types
from wit_world.imports.log import Level, log

ERROR_KINDS = {
    types.Error_Denied: "denied",
    types.Error_NotFound: "not-found",
    types.Error_BudgetExhausted: "budget-exhausted",
    types.Error_Timeout: "timeout",
    types.Error_Invalid: "invalid",
    types.Error_Provider: "provider",
}
SERIES = "ping-pong"


class WitWorld(wit_world.WitWorld):
    def run(self, config: str) -> str:
        try:
            root = json.loads(config)
        except ValueError as e:
            raise Err(f"config: invalid JSON: {e}")
        experiment = root.get("experiment") or {}
        if not isinstance(experiment, dict):
            raise Err("experiment: expected an object")
        return json.dumps(ping_pong(experiment))


def host(operation: str, call, *args):
    """Call the host; a host error ends the run, naming the operation and the error kind."""
    try:
        return call(*args)
    except Err as e:
        raise Err(f"{operation} failed: {ERROR_KINDS[type(e.value)]}: {e.value.value}")


def positive(experiment: dict, key: str, default: int) -> int:
    value = experiment.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Err(f"experiment.{key}: expected a positive integer")
    return value


def ping_pong(experiment: dict) -> dict:
    benchmark = experiment.get("benchmark", "020.network-benchmark")
    if not isinstance(benchmark, str):
        raise Err("experiment.benchmark: expected a string")
    invocations = positive(experiment, "invocations", 5)
    payload = {
        "repetitions": positive(experiment, "repetitions", 100),
        "packet_size": positive(experiment, "packet_size", 64),
        "timeout_ms": positive(experiment, "timeout_ms", 1000),
    }
    endpoint = host("open-udp", network.open_udp, network.ReplyMode.ECHO)
    payload["server"] = endpoint.address()
    function = host("deploy", platform.deploy, benchmark, None)
    results.begin_series(SERIES)
    rtts, lost, failed, host_received = [], 0, 0, 0
    for _ in range(invocations):
        result = host("invoke", function.invoke, json.dumps(payload))
        host_received += len(endpoint.take_received())
        if result.failure is not None:
            failed += 1
            results.discard(result.request_id, f"failed: {result.failure}")
            continue
        output = json.loads(result.output)
        for rtt in output["rtts_us"]:
            results.measurement(SERIES, "rtt", float(rtt), "us")
            rtts.append(rtt)
        lost += output.get("lost", 0)
    rtts.sort()

    def pick(q):
        return rtts[round((len(rtts) - 1) * q)] if rtts else None

    log(Level.INFO, f"{len(rtts)} round trips, {lost} lost; median RTT {pick(0.5)} µs")
    return {
        "server": payload["server"],
        "invocations": invocations,
        "failed_invocations": failed,
        "round_trips": len(rtts),
        "lost": lost,
        "host_received": host_received,
        "host_answered": endpoint.stats().answered,
        "rtt_min_us": rtts[0] if rtts else None,
        "rtt_p50_us": pick(0.5),
        "rtt_p99_us": pick(0.99),
        "rtt_max_us": rtts[-1] if rtts else None,
    }
