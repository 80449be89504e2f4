"""501.graph-pagerank: PageRank of a graph read from storage (python-igraph)."""

import faaslab_storage
import graph_load


def handler(event):
    m = faaslab_storage.Measurement()
    g = graph_load.load(event, m)
    with m.phase("compute"):
        ranks = g.pagerank(damping=0.85)
    top = sorted(range(len(ranks)), key=lambda v: (-ranks[v], v))[:5]
    return {
        "vertices": g.vcount(),
        "sum": sum(ranks),
        "top": [[v, ranks[v]] for v in top],
        "measurement": m.as_dict(),
    }
