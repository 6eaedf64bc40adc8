"""The graph-network block recorded as a Trace: one step per named sub-step.

:func:`explorer.nn.gn_steps.gn_layers` runs the block stack of ``run_stack(layer="gn")`` and
returns each block's six sub-steps (the block's own ``substeps``, which is its ``forward``).
:func:`gn_block_trace` lays those numbers out as a :class:`~explorer.trace.Trace` of kind
:data:`GN_KIND`, so the standard player steps through φᵉ, ρᵉ→ᵛ, φᵛ, ρᵉ→ᵘ, ρᵛ→ᵘ and φᵘ with
the same animated graph and detail panel as every other run. Nothing is recomputed here.

What each step records (N nodes, E edges, d = ``hidden``; ``v`` the node states the block read,
``v'`` the updated ones; every step's extras also hold ``"gn"`` (the sub-step key), ``"block"``
(1-based), ``"aggr"`` and ``"u"`` ``[1, du]``, the global state the block read)::

    phi_e   edges all E, messages e' [E, d]   states v    extras "edge_in" e [E, de]
    rho_ev  edges all E, messages e' [E, d]   states v    aggregates ebar' [N, d]
    phi_v   no messages                       states v'   aggregates ebar' [N, d]
    rho_eu  no messages                       states v'   extras "ebar_u" [1, d]
    rho_vu  no messages                       states v'   extras "vbar_u" [1, d]
    phi_u   no messages                       states v'   extras "ebar_u", "vbar_u", "u_new" [1, d]

So the edge states travel on the edges as messages (hover shows each vector), node colours follow
the node states, and the global vector lives in the extras (the page draws it beside the graph).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from explorer.graph import Graph
from explorer.nn.gn_steps import SUBSTEPS, gn_layers
from explorer.trace import Step, Trace

__all__ = ["GN_KIND", "gn_block_trace", "trace_from_layers", "SHORT"]

#: the Trace kind of a graph-network block recorded sub-step by sub-step
GN_KIND = "gn-block"
#: short step labels (the player's slider and bar)
SHORT = {"phi_e": "φᵉ edges", "rho_ev": "ρᵉ→ᵛ", "phi_v": "φᵛ nodes", "rho_eu": "ρᵉ→ᵘ",
         "rho_vu": "ρᵛ→ᵘ", "phi_u": "φᵘ global"}
_NOTES = {
    "phi_e": "φᵉ updated every edge from its own attribute, the states of its two ends and u.",
    "rho_ev": "ρᵉ→ᵛ ({aggr}) reduced the updated edges arriving at each node to one vector.",
    "phi_v": "φᵛ gave every node a new state from its aggregate, its old state and u.",
    "rho_eu": "ρᵉ→ᵘ ({aggr}) reduced all {E} updated edges to one vector for the global update.",
    "rho_vu": "ρᵛ→ᵘ ({aggr}) reduced all {N} updated node states to one vector.",
    "phi_u": "φᵘ computed the new global state u′ from the two summaries and the old u.",
}


def trace_from_layers(graph: Graph, data: dict[str, Any], params: dict[str, Any]) -> Trace:
    """A :data:`GN_KIND` Trace from :func:`~explorer.nn.gn_steps.gn_layers`' output (no compute).

    Args:
        graph: the graph the blocks ran on.
        data: ``gn_layers(graph, ...)``'s dict.
        params: the settings it ran with (``layers``, ``hidden``, ``seed``, ``features``, ``aggr``).

    Returns:
        Six steps per block, as the module docstring lists; ``result``: ``"output"`` (last
        ``v'``), ``"edges"`` (last ``e'``), ``"global"`` (last ``u'``, ``[1, d]``),
        ``"features_notice"``, ``"edge_source"``.
    """
    n = np.arange(graph.n_edges, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    v, e, u = data["x"], data["edge_attr"], data["u0"]
    steps: list[Step] = []
    for b, block in enumerate(data["layers"]):
        out = {s["key"]: s["output"] for s in block}
        aggr = block[0]["aggr"]
        base = {"block": b + 1, "aggr": aggr, "u": u}
        rows = {
            "phi_e": (n, out["phi_e"], None, v, {"edge_in": e}),
            "rho_ev": (n, out["phi_e"], out["rho_ev"], v, {}),
            "phi_v": (none, None, out["rho_ev"], out["phi_v"], {}),
            "rho_eu": (none, None, None, out["phi_v"], {"ebar_u": out["rho_eu"]}),
            "rho_vu": (none, None, None, out["phi_v"], {"vbar_u": out["rho_vu"]}),
            "phi_u": (none, None, None, out["phi_v"],
                      {"ebar_u": out["rho_eu"], "vbar_u": out["rho_vu"], "u_new": out["phi_u"]}),
        }
        for key, *_ in SUBSTEPS:
            edges, msgs, agg, states, extra = rows[key]
            note = f"Block {b + 1}: " + _NOTES[key].format(aggr=aggr, E=graph.n_edges, N=graph.n_nodes)
            steps.append(Step(edges=edges, messages=msgs, aggregates=agg, states=states,
                              extras={"gn": key, **base, **extra}, note=note,
                              label=f"{b + 1}·{SHORT[key]}"))
        v, e, u = out["phi_v"], out["phi_e"], out["phi_u"]
    result = {"output": v, "edges": e, "global": u, "features_notice": data["features_notice"],
              "edge_source": data["edge_source"]}
    return Trace(kind=GN_KIND, graph=dataclasses.replace(graph, x=data["x"]), params=dict(params),
                 steps=tuple(steps), result=result)


def gn_block_trace(graph: Graph, *, layers: int = 2, hidden: int = 4, seed: int = 0,
                   features: str = "auto", aggr: str = "sum") -> Trace:
    """Run the GN stack of ``run_stack(graph, layer="gn", ...)`` and record it sub-step by sub-step.

    The weights, features and numbers are those of :func:`explorer.nn.run_stack` with the same
    settings (see :func:`~explorer.nn.gn_steps.gn_layers`); each block becomes six steps.

    Raises:
        ModelError: bad settings or features (as ``run_stack``).

    Example:
        >>> from explorer.io import load_graph
        >>> t = gn_block_trace(load_graph("caffeine"), layers=1)
        >>> [s.extras["gn"] for s in t.steps]
        ['phi_e', 'rho_ev', 'phi_v', 'rho_eu', 'rho_vu', 'phi_u']
    """
    data = gn_layers(graph, layers=layers, hidden=hidden, seed=seed, features=features, aggr=aggr)
    params = {"layer": "gn", "layers": layers, "hidden": hidden, "seed": seed, "features": features,
              "aggr": aggr, "layer_opts": {"aggr": aggr}}
    return trace_from_layers(graph, data, params)
