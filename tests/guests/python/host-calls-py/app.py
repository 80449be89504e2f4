"""Benchmark fixture: makes `experiment.calls` cheap host calls (clock.monotonic-now-us)."""

import json

import wit_world
from wit_world.imports import clock


class WitWorld(wit_world.WitWorld):
    def run(self, config: str) -> str:
        n = int(json.loads(config).get("experiment", {}).get("calls", 0))
        last = 0
        for _ in range(n):
            last = clock.monotonic_now_us()
        return json.dumps({"calls": n, "last_us": last})
