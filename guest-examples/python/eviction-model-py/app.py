"""eviction-model (Python): how long does an idle instance stay warm?

The same experiment as guest-examples/rust/eviction-model: for each idle time t in
`sleeps_s`, invoke (discarded as "priming"), sleep host-side for t, invoke again and
record whether the probe was warm. Probes are series "eviction-<t>s" (one results.csv
row each); measurements "warm@<t>s" in series "eviction-model"; the returned `rows`.

`experiment` fields: `sleeps_s` (required), `repetitions` (1), `payload` (an object;
default: the benchmark's generated input).
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import clock, platform, results, types
from wit_world.imports.log import Level, log

ERROR_KINDS = {
    types.Error_Denied: "denied",
    types.Error_NotFound: "not-found",
    types.Error_BudgetExhausted: "budget-exhausted",
    types.Error_Timeout: "timeout",
    types.Error_Invalid: "invalid",
    types.Error_Provider: "provider",
}


class WitWorld(wit_world.WitWorld):
    def run(self, config: str) -> str:
        try:
            root = json.loads(config)
        except ValueError as e:
            raise Err(f"config: invalid JSON: {e}")
        experiment = root.get("experiment") or {}
        if not isinstance(experiment, dict):
            raise Err("experiment: expected an object")
        return json.dumps(eviction_model(root, experiment))


def host(operation: str, call, *args):
    """Call the host; a host error ends the run, naming the operation and the error kind."""
    try:
        return call(*args)
    except Err as e:
        raise Err(f"{operation} failed: {ERROR_KINDS[type(e.value)]}: {e.value.value}")


def eviction_model(root: dict, experiment: dict) -> dict:
    sleeps = experiment.get("sleeps_s")
    if not isinstance(sleeps, list) or not sleeps or not all(
        isinstance(s, (int, float)) and not isinstance(s, bool) and s >= 0 for s in sleeps
    ):
        raise Err("experiment.sleeps_s: expected a non-empty list of non-negative seconds")
    repetitions = experiment.get("repetitions", 1)
    if isinstance(repetitions, bool) or not isinstance(repetitions, int) or repetitions <= 0:
        raise Err("experiment.repetitions: expected a positive integer")
    benchmark = root.get("benchmark")
    if not isinstance(benchmark, str):
        raise Err("benchmark: expected a string")
    if "payload" in experiment:
        if not isinstance(experiment["payload"], dict):
            raise Err("experiment.payload: expected an object")
        payload = json.dumps(experiment["payload"])
    else:
        payload = host("benchmark-input", platform.benchmark_input, benchmark, root.get("input_size", "test"))
    function = host("deploy", platform.deploy, benchmark, None)
    rows = []
    csv = "sleep_s,repetition,warm,same_instance\n"
    for repetition in range(repetitions):
        for sleep_s in sleeps:
            results.begin_series("priming")
            prime = host("invoke", function.invoke, payload)
            results.discard(prime.request_id, "priming")
            if prime.failure is not None:
                raise Err(f"priming invocation failed: {prime.failure}")
            host("sleep", clock.sleep_us, round(sleep_s * 1e6))
            results.begin_series(f"eviction-{sleep_s:g}s")
            probe = host("invoke", function.invoke, payload)
            if probe.failure is not None:
                results.note(f"probe after {sleep_s} s failed: {probe.failure}")
                continue
            warm = not probe.cold
            same = probe.instance_id == prime.instance_id
            results.measurement("eviction-model", f"warm@{sleep_s:g}s", 1.0 if warm else 0.0, "bool")
            csv += f"{sleep_s:g},{repetition},{str(warm).lower()},{str(same).lower()}\n"
            rows.append(
                {
                    "sleep_s": sleep_s,
                    "repetition": repetition,
                    "warm": warm,
                    "same_instance": same,
                    "client_time_us": probe.client_time_us,
                }
            )
            log(Level.INFO, f"after {sleep_s} s idle: {'warm' if warm else 'cold'}")
    results.note(f"eviction-model results (CSV):\n{csv}")
    return {"rows": rows, "csv": csv}
