"""Inputs and output validation of 503.graph-bfs (graph: faaslab_graph_input).

The validator recomputes every vertex's depth from vertex 0 in pure Python."""

import faaslab_graphs
from faaslab_graph_input import generate_input, validator  # noqa: F401


def check(output, n, edges):
    reached = [d for d in faaslab_graphs.bfs_depths(n, edges) if d >= 0]
    want = {"reached": len(reached), "max_depth": max(reached), "depth_sum": sum(reached)}
    for field, value in want.items():
        if output.get(field) != value:
            return f"{field} is {output.get(field)}, expected {value}"
    return None


validate_output = validator(check)
