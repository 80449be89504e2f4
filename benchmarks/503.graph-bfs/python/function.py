"""503.graph-bfs: breadth-first search from vertex 0 of a graph from storage (python-igraph)."""

import faaslab_storage
import graph_load


def handler(event):
    m = faaslab_storage.Measurement()
    g = graph_load.load(event, m)
    with m.phase("compute"):
        order, layers, _parents = g.bfs(0)
        depth_sum = sum(d * (layers[d + 1] - layers[d]) for d in range(len(layers) - 1))
    return {
        "vertices": g.vcount(),
        "reached": len(order),
        "max_depth": len(layers) - 2,
        "depth_sum": depth_sum,
        "measurement": m.as_dict(),
    }
