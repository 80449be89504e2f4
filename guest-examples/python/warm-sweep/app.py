"""warm-sweep: warm invocations of one benchmark at every memory size.

For every memory size it warms the function up (those results are discarded as
"warm-up"), then fills the series "warm-<mem>mb" with exactly `repetitions` warm,
successful results. The host times and records every invocation; this script only
decides what to invoke and discards what does not belong in the series.
"""

import dataclasses
import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import platform, results, types
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
        return json.dumps(warm_sweep(Config(config)))


class Config:
    """The parts of the run configuration this script uses; unknown fields are ignored."""

    def __init__(self, text: str):
        try:
            root = json.loads(text)
        except ValueError as e:
            raise Err(f"config: invalid JSON: {e}")
        if not isinstance(root, dict):
            raise Err("config: expected an object")
        experiment = root.get("experiment")
        if experiment is None:
            experiment = {}
        elif not isinstance(experiment, dict):
            raise Err("experiment: expected an object")
        self.benchmark = string(root, "benchmark", None)
        self.input_size = string(root, "input_size", "test")
        self.repetitions = positive(experiment.get("repetitions"), "repetitions", 5)
        self.concurrency = positive(experiment.get("concurrent_invocations"), "concurrent_invocations", 5)
        self.max_rounds = positive(experiment.get("max_rounds"), "max_rounds", 20)
        sizes = experiment.get("memory_sizes")
        if sizes is None:
            self.memory_sizes = None  # the deployed function's memory size
        elif not isinstance(sizes, list) or not sizes:
            raise Err("experiment.memory_sizes: expected a non-empty list")
        else:
            self.memory_sizes = [positive(size, "memory_sizes", None) for size in sizes]
            for i, size in enumerate(self.memory_sizes):
                if size in self.memory_sizes[:i]:
                    raise Err(f"experiment.memory_sizes: {size} is listed twice")


def string(root: dict, key: str, default):
    value = root.get(key)
    if value is None and default is not None:
        return default
    if value is None:
        raise Err(f"{key}: missing (expected a string)")
    if not isinstance(value, str) or not value:
        raise Err(f"{key}: expected a non-empty string")
    return value


def positive(value, key: str, default):
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**32:
        raise Err(f"experiment.{key}: expected a positive integer")
    return value


def host(operation: str, call, *args):
    """Call the host; a host error ends the run, naming the operation and the error kind."""
    try:
        return call(*args)
    except Err as e:
        raise Err(f"{operation} failed: {ERROR_KINDS[type(e.value)]}: {e.value.value}")


def warm_sweep(config: Config) -> dict:
    payload = host("benchmark-input", platform.benchmark_input, config.benchmark, config.input_size)
    function = host("deploy", platform.deploy, config.benchmark, None)
    base = function.config()
    series = {}
    for memory_mb in config.memory_sizes or [base.memory_mb]:
        host("update-config", function.update_config, dataclasses.replace(base, memory_mb=memory_mb))
        name = f"warm-{memory_mb}mb"
        series[name] = warm_series(function, name, payload, config)
    return {"benchmark": config.benchmark, "series": series}


def warm_series(function, name: str, payload: str, config: Config) -> dict:
    results.begin_series(name)
    batch = [payload] * config.repetitions
    stats = dict(accepted=0, discarded_wrong_kind=0, failed=0, surplus=0, warm_up=0, rounds=0)
    for result in host("invoke-batch", function.invoke_batch, batch, config.concurrency):
        results.discard(result.request_id, "warm-up")
        stats["warm_up"] += 1
    while stats["accepted"] < config.repetitions and stats["rounds"] < config.max_rounds:
        stats["rounds"] += 1
        for result in host("invoke-batch", function.invoke_batch, batch, config.concurrency):
            if result.failure is not None:
                stats["failed"] += 1
                results.discard(result.request_id, f"failed: {result.failure}")
            elif result.cold:
                stats["discarded_wrong_kind"] += 1
                results.discard(result.request_id, "expected warm, got cold")
            elif stats["accepted"] >= config.repetitions:
                stats["surplus"] += 1
                results.discard(result.request_id, "surplus")
            else:
                stats["accepted"] += 1
    stats["complete"] = stats["accepted"] >= config.repetitions
    message = f"{name}: {stats['accepted']}/{config.repetitions} accepted in {stats['rounds']} round(s)"
    if stats["complete"]:
        log(Level.INFO, message)
    else:
        warning = f"{message}; max_rounds ({config.max_rounds}) reached"
        log(Level.WARN, warning)
        results.note(warning)
    return stats
