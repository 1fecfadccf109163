#!/usr/bin/env python3
"""Reference graph edit distance from networkx, for checking src/graph/ged.ts.

Reads JSON from stdin:
    {"pairs": [{"a": {"labels": [...], "edges": [[u, v], ...]}, "b": {...}}, ...],
     "timeout": 10.0,                      # seconds per pair (optional, default 10)
     "costs": {"nodeSub": 1, "nodeIns": 1, "nodeDel": 1, "edgeIns": 1, "edgeDel": 1}}   # optional
Writes JSON to stdout:
    {"networkx": "<version>", "results": [{"distance": d, "seconds": wall, "cpuSeconds": cpu, "finished": bool}, ...]}

Graphs are networkx DiGraphs; nodes match on their "label" attribute. With the default costs the call is
networkx.graph_edit_distance(G1, G2, node_match=label equality), whose defaults are exactly our costs (node and edge
insertion/deletion 1, node substitution 0 on a match else 1, edge substitution 0). Other costs go through the
node/edge cost callbacks. networkx returns its best path so far when the timeout expires, so a pair counts as
"finished" (its distance proven optimal) only when the call returned before the timeout.
"""
import json
import sys
import time

import networkx as nx

DEFAULT_COSTS = {"nodeSub": 1, "nodeIns": 1, "nodeDel": 1, "edgeIns": 1, "edgeDel": 1}


def to_digraph(g):
    G = nx.DiGraph()
    for i, label in enumerate(g["labels"]):
        G.add_node(i, label=label)
    G.add_edges_from((int(u), int(v)) for u, v in g["edges"])
    return G


def main():
    req = json.load(sys.stdin)
    timeout = float(req.get("timeout", 10.0))
    costs = {**DEFAULT_COSTS, **(req.get("costs") or {})}
    kwargs = {"timeout": timeout}
    if costs == DEFAULT_COSTS:
        kwargs["node_match"] = lambda x, y: x["label"] == y["label"]
    else:
        kwargs["node_subst_cost"] = lambda x, y: 0 if x["label"] == y["label"] else costs["nodeSub"]
        kwargs["node_del_cost"] = lambda x: costs["nodeDel"]
        kwargs["node_ins_cost"] = lambda x: costs["nodeIns"]
        kwargs["edge_subst_cost"] = lambda x, y: 0
        kwargs["edge_del_cost"] = lambda x: costs["edgeDel"]
        kwargs["edge_ins_cost"] = lambda x: costs["edgeIns"]
    # Warm up: the first call imports numpy / scipy inside networkx.
    nx.graph_edit_distance(to_digraph({"labels": ["a"], "edges": []}), to_digraph({"labels": ["b"], "edges": []}))
    results = []
    for pair in req["pairs"]:
        G1, G2 = to_digraph(pair["a"]), to_digraph(pair["b"])
        t0 = time.perf_counter()
        c0 = time.process_time()
        d = nx.graph_edit_distance(G1, G2, **kwargs)
        cpu = time.process_time() - c0
        dt = time.perf_counter() - t0
        results.append({"distance": d, "seconds": dt, "cpuSeconds": cpu, "finished": dt < timeout * 0.98})
    json.dump({"networkx": nx.__version__, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
