"""Seeded graphs of the 50x benchmarks, shared by their generators and validators.

A Barabási–Albert style graph: vertex v > m attaches to m distinct earlier vertices
chosen proportionally to their degree (through the list of edge endpoints); every
edge gets a weight in 1..1000. Pure Python, so validators need no graph library.
"""

import heapq
import random
from collections import deque


def barabasi_albert(n, m, seed):
    """Edges [(u, v, weight)] of a connected graph on n vertices."""
    rng = random.Random(seed)
    edges = []
    endpoints = []
    for v in range(1, min(m + 1, n)):
        for u in range(v):
            edges.append((u, v, rng.randint(1, 1000)))
            endpoints += [u, v]
    for v in range(m + 1, n):
        chosen = set()
        while len(chosen) < m:
            chosen.add(rng.choice(endpoints))
        for u in sorted(chosen):
            edges.append((u, v, rng.randint(1, 1000)))
            endpoints += [u, v]
    return edges


def to_text(n, edges):
    lines = [f"{n} {len(edges)}"] + [f"{u} {v} {w}" for u, v, w in edges]
    return ("\n".join(lines) + "\n").encode()


def adjacency(n, edges):
    adj = [[] for _ in range(n)]
    for u, v, _ in edges:
        adj[u].append(v)
        adj[v].append(u)
    return adj


def pagerank(n, edges, damping=0.85, iterations=200, tol=1e-12):
    adj = adjacency(n, edges)
    rank = [1.0 / n] * n
    for _ in range(iterations):
        new = [(1.0 - damping) / n] * n
        dangling = sum(rank[v] for v in range(n) if not adj[v])
        for v in range(n):
            if adj[v]:
                share = damping * rank[v] / len(adj[v])
                for u in adj[v]:
                    new[u] += share
        if dangling:
            new = [r + damping * dangling / n for r in new]
        delta = sum(abs(a - b) for a, b in zip(new, rank))
        rank = new
        if delta < tol:
            break
    return rank


def mst_weight(n, edges):
    """Total weight and edge count of a minimum spanning forest (Prim)."""
    adj = [[] for _ in range(n)]
    for u, v, w in edges:
        adj[u].append((w, v))
        adj[v].append((w, u))
    seen = [False] * n
    total = count = 0
    for start in range(n):
        if seen[start]:
            continue
        seen[start] = True
        heap = list(adj[start])
        heapq.heapify(heap)
        while heap:
            w, v = heapq.heappop(heap)
            if seen[v]:
                continue
            seen[v] = True
            total += w
            count += 1
            for item in adj[v]:
                if not seen[item[1]]:
                    heapq.heappush(heap, item)
    return total, count


def bfs_depths(n, edges, root=0):
    adj = adjacency(n, edges)
    depth = [-1] * n
    depth[root] = 0
    queue = deque([root])
    while queue:
        v = queue.popleft()
        for u in adj[v]:
            if depth[u] < 0:
                depth[u] = depth[v] + 1
                queue.append(u)
    return depth
