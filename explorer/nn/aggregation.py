"""Aggregators and neighbour sampling, shown on one node with the real layer's numbers.

A node's neighbours are a set: they come in no particular order. :func:`shuffle_check` lists the
edges into a node in another order, runs the *same* layer (same seed, same weights) on both edge
lists through :func:`explorer.nn.run_stack`, and reports the node's aggregate and new state
before and after: sum, mean and max give the same numbers (up to float rounding), while laying
the messages end to end (concatenation) does not.

GraphSAGE scales to large graphs by reading at most ``fanout`` incoming edges per node in each
layer. :func:`sampled_layers` runs the library's seeded sampling SAGE stack (layer ``k`` samples
with seed ``sample_seed + k``, see :func:`explorer.nn.ops.sample_incoming`) and returns, per
layer, the edges that were read and the ones that were dropped.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from explorer.errors import ModelError
from explorer.graph import Graph

__all__ = ["AGGREGATORS", "shuffle_incoming", "shuffle_check", "sampled_layers"]

#: the aggregations each layer offers (the others are fixed by the layer's definition)
AGGREGATORS: dict[str, tuple[str, ...]] = {"sage": ("mean", "max", "sum"), "gin": ("sum",)}


def _check_node(graph: Graph, node: int) -> None:
    if not 0 <= node < graph.n_nodes:
        raise ModelError(f"expected a node in [0, {graph.n_nodes - 1}], found {node}")


def shuffle_incoming(graph: Graph, node: int, seed: int) -> tuple[Graph, np.ndarray]:
    """The same graph with the edges into ``node`` listed in a seeded random order.

    Returns:
        ``(graph', order)``: edge ``k`` of ``graph'`` is edge ``order[k]`` of ``graph`` (edge
        features and weights move with their edge); only the positions of ``node``'s incoming
        edges are permuted among themselves.
    """
    _check_node(graph, node)
    inc = np.flatnonzero(graph.receivers == node)
    order = np.arange(graph.n_edges)
    order[inc] = np.random.default_rng(seed).permutation(inc)
    pick = lambda a: None if a is None else np.asarray(a)[order]  # noqa: E731
    return dataclasses.replace(graph, senders=graph.senders[order], receivers=graph.receivers[order],
                               edge_attr=pick(graph.edge_attr), edge_weight=pick(graph.edge_weight)), order


def _node_view(trace: Any, node: int) -> dict[str, Any]:
    step = trace.steps[0]
    g = trace.graph
    used = np.asarray(step.edges)
    into = used[g.receivers[used] == node]
    rows = np.flatnonzero(g.receivers[used] == node)
    return {"senders": g.senders[into].astype(int).tolist(), "messages": np.asarray(step.messages)[rows],
            "aggregate": np.asarray(step.aggregates)[node], "state": np.asarray(step.states)[node]}


def shuffle_check(graph: Graph, node: int, *, layer: str = "sage", aggr: str = "mean", hidden: int = 4,
                  seed: int = 0, features: str = "auto", shuffle_seed: int = 1) -> dict[str, Any]:
    """One layer at ``node``, on the graph as given and with its incoming edges shuffled.

    Args:
        graph: the graph.
        node: the node to look at.
        layer: ``"sage"`` (``aggr`` mean, max or sum) or ``"gin"`` (always sum).
        hidden, seed, features: as :func:`explorer.nn.run_stack` (one layer).
        shuffle_seed: seeds the new order of the incoming edges.

    Returns:
        ``{"before", "after"}``, each ``{"senders": [k] in listed order, "messages" [k, F],
        "aggregate" [F], "state" [hidden]}``, plus ``"aggregate_error"``, ``"state_error"``
        (largest absolute differences), ``"concat_error"`` (the same for the messages laid end
        to end in listed order), ``"order"`` (edge k after = edge order[k] before), ``"aggr"``.

    Raises:
        ModelError: an unknown layer or aggregation, or a bad node.
    """
    from explorer.nn.features import default_features
    from explorer.nn.run import run_stack

    if layer not in AGGREGATORS:
        raise ModelError(f"expected a layer in {tuple(AGGREGATORS)}, found {layer!r}")
    if aggr not in AGGREGATORS[layer]:
        raise ModelError(f"{layer} aggregates with {AGGREGATORS[layer]}, found aggr={aggr!r}; "
                         "choose one of those")
    _check_node(graph, node)
    x, _ = default_features(graph, features, seed)  # chosen once, carried to the shuffled copy
    g0 = dataclasses.replace(graph, x=x)
    g1, order = shuffle_incoming(g0, node, shuffle_seed)
    opts: dict[str, Any] = dict(layer=layer, layers=1, hidden=hidden, seed=seed, features="x")
    if layer == "sage":
        opts["aggr"] = aggr
    before, after = (_node_view(run_stack(g, **opts), node) for g in (g0, g1))
    cat0, cat1 = before["messages"].reshape(-1), after["messages"].reshape(-1)
    err = lambda a, b: float(np.abs(np.asarray(a) - np.asarray(b)).max()) if np.size(a) else 0.0  # noqa: E731
    return {"before": before, "after": after, "order": order, "aggr": aggr,
            "aggregate_error": err(before["aggregate"], after["aggregate"]),
            "state_error": err(before["state"], after["state"]),
            "concat_error": err(cat0, cat1)}


def sampled_layers(graph: Graph, *, fanout: int, seed: int = 0, layers: int = 2, hidden: int = 4,
                   features: str = "auto") -> dict[str, Any]:
    """Which edges each layer of a sampling GraphSAGE stack read.

    Runs ``run_stack(graph, layer="sage", layers=layers, fanout=fanout, sample_seed=seed)``;
    layer ``k`` keeps, for every node, at most ``fanout`` incoming edges chosen uniformly
    without replacement with seed ``seed + k``.

    Returns:
        ``{"kept": [edge ids per layer, ascending], "dropped": [edge ids per layer],
        "in_degree" [N], "output" [N, hidden], "fanout", "seed"}``.

    Raises:
        ModelError: ``fanout < 1`` or bad settings.
    """
    from explorer.nn.run import run_stack

    if fanout < 1:
        raise ModelError(f"expected fanout >= 1 (edges kept per node and layer), found {fanout}")
    trace = run_stack(graph, layer="sage", layers=layers, hidden=hidden, seed=seed, features=features,
                      fanout=int(fanout), sample_seed=int(seed))
    everything = np.arange(graph.n_edges)
    kept = [np.sort(np.asarray(s.edges, dtype=np.int64)) for s in trace.steps[:layers]]
    return {"kept": kept, "dropped": [np.setdiff1d(everything, k) for k in kept],
            "in_degree": np.bincount(graph.receivers, minlength=graph.n_nodes),
            "output": trace.result["output"], "fanout": int(fanout), "seed": int(seed)}
