"""Inputs and output validation of 501.graph-pagerank (graph: faaslab_graph_input).

The validator recomputes PageRank (damping 0.85) in pure Python and compares the
function's top vertices and their ranks."""

import faaslab_graphs
from faaslab_graph_input import generate_input, validator  # noqa: F401


def check(output, n, edges):
    rank = faaslab_graphs.pagerank(n, edges)
    if abs(output.get("sum", 0) - 1.0) > 1e-6:
        return f"ranks sum to {output.get('sum')}, not 1"
    top = output.get("top")
    if not isinstance(top, list) or not top:
        return "no `top` vertices"
    for v, r in top:
        if abs(rank[v] - r) > 1e-6:
            return f"vertex {v} has rank {r}, expected {rank[v]:.8f}"
    if abs(top[0][1] - max(rank)) > 1e-6:
        return f"top rank is {top[0][1]}, expected {max(rank):.8f}"
    return None


validate_output = validator(check)
