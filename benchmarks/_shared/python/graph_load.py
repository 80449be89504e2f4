"""Reads the graph text of the 50x benchmarks (`n m`, then `u v weight`) into igraph.

Shared by 501, 502 and 503: each names it in `shared_files` of its config.json, and
it is shipped at the top of their code packages (and hashed with them)."""

import faaslab_storage
import igraph


def load(event, m):
    storage = faaslab_storage.get()
    with m.phase("download"):
        data = m.count(
            "download",
            storage.download(event["bucket"]["bucket"], f"{event['bucket']['input']}/{event['object']['key']}"),
        )
    with m.phase("compute"):
        lines = data.decode().split("\n")
        n = int(lines[0].split()[0])
        edges, weights = [], []
        for line in lines[1:]:
            if line:
                u, v, w = line.split()
                edges.append((int(u), int(v)))
                weights.append(int(w))
        g = igraph.Graph(n=n, edges=edges)
        g.es["weight"] = weights
    return g
