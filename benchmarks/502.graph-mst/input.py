"""Inputs and output validation of 502.graph-mst (graph: faaslab_graph_input).

The validator recomputes the minimum spanning tree's weight with Prim's algorithm."""

import faaslab_graphs
from faaslab_graph_input import generate_input, validator  # noqa: F401


def check(output, n, edges):
    weight, count = faaslab_graphs.mst_weight(n, edges)
    if output.get("edges") != count:
        return f"spanning tree has {output.get('edges')} edges, expected {count}"
    if output.get("weight") != weight:
        return f"spanning tree weighs {output.get('weight')}, the minimum is {weight}"
    return None


validate_output = validator(check)
