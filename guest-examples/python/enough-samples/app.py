"""enough-samples: a `sampler` policy in Python (world `sampler`, wit/policies.wit).

The simplest stopping rule: a series ends once it has `ENOUGH` accepted results
(successful, not discarded by the script), like SeBS's fixed repetition count, but
applied by the host however the script invokes (single calls, batches, schedules).
"""

import wit_world
from wit_world.imports import policy_types

ENOUGH = 8


class WitWorld(wit_world.WitWorld):
    def sample(self, summary: policy_types.SeriesSummary) -> policy_types.SampleDecision:
        if summary.count >= ENOUGH:
            return policy_types.SampleDecision_Stop(
                f"{summary.count} accepted results (enough-samples stops at {ENOUGH}); "
                f"median {summary.median_us / 1000:.2f} ms"
            )
        # Nothing to decide before ENOUGH accepted results can be there.
        return policy_types.SampleDecision_More(ENOUGH - summary.count)
