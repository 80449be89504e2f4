"""502.graph-mst: minimum spanning tree of a weighted graph from storage (python-igraph)."""

import faaslab_storage
import graph_load


def handler(event):
    m = faaslab_storage.Measurement()
    g = graph_load.load(event, m)
    with m.phase("compute"):
        tree = g.spanning_tree(weights="weight")
        weight = int(sum(tree.es["weight"]))
    return {"vertices": g.vcount(), "edges": tree.ecount(), "weight": weight, "measurement": m.as_dict()}
