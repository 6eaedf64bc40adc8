"""The graph-network block and the edge-network MPNN opened up, sub-step by sub-step, with numbers.

Battaglia et al.'s block (:class:`~explorer.nn.blocks.GraphNetworkBlock`) is six named moves:
three updates ``phi`` (learned: here small MLPs) and three aggregations ``rho`` (fixed: sum, mean
or max over a set, so the order of the set never matters)::

    phi_e    e'_k   = phi_e(e_k, v_rk, v_sk, u)     every edge, from its two ends and the global
    rho_ev   ebar_i = rho_ev({e'_k : r_k = i})       every node, over the edges arriving at it
    phi_v    v'_i   = phi_v(ebar_i, v_i, u)          every node
    rho_eu   ebar'  = rho_eu({e'_k : all k})         the whole graph, over all edges
    rho_vu   vbar'  = rho_vu({v'_i : all i})         the whole graph, over all nodes
    phi_u    u'     = phi_u(ebar', vbar', u)          the global state

:func:`gn_substeps` returns them as plain dicts; the outputs are those of the block's own
``substeps`` method, which is also its ``forward`` (one code path), so they equal a normal run.

Gilmer et al.'s MPNN (:class:`~explorer.nn.blocks.MPNN`) turns each edge's features into a
matrix ``A(e_ij)`` (the edge network) and sends ``A(e_ij) h_j``; a GRU then mixes the summed
message into the node's state. :func:`mpnn_node_detail` shows that for one node with every
matrix, message and gate value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from explorer.seeding import seeded
from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.nn.blocks import GraphNetworkBlock

__all__ = ["SUBSTEPS", "gn_substeps", "gn_layers", "mpnn_node_detail", "edge_features"]

#: (key, name, LaTeX symbol, what it acts on, general formula) of each sub-step, in order
SUBSTEPS: tuple[tuple[str, str, str, str, str], ...] = (
    ("phi_e", "edge update", r"\phi^{e}", "edges",
     r"\mathbf{e}'_k = \phi^{e}(\mathbf{e}_k,\ \mathbf{v}_{r_k},\ \mathbf{v}_{s_k},\ \mathbf{u})"),
    ("rho_ev", "edge → node aggregation", r"\rho^{e\rightarrow v}", "nodes",
     r"\bar{\mathbf{e}}'_i = \rho^{e\rightarrow v}(E'_i),\ \ E'_i = \{\mathbf{e}'_k : r_k = i\}"),
    ("phi_v", "node update", r"\phi^{v}", "nodes",
     r"\mathbf{v}'_i = \phi^{v}(\bar{\mathbf{e}}'_i,\ \mathbf{v}_i,\ \mathbf{u})"),
    ("rho_eu", "edges → global aggregation", r"\rho^{e\rightarrow u}", "global",
     r"\bar{\mathbf{e}}' = \rho^{e\rightarrow u}(E')"),
    ("rho_vu", "nodes → global aggregation", r"\rho^{v\rightarrow u}", "global",
     r"\bar{\mathbf{v}}' = \rho^{v\rightarrow u}(V')"),
    ("phi_u", "global update", r"\phi^{u}", "global",
     r"\mathbf{u}' = \phi^{u}(\bar{\mathbf{e}}',\ \bar{\mathbf{v}}',\ \mathbf{u})"),
)


def _np(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)


def gn_substeps(block: GraphNetworkBlock, x: Tensor, edge_index: Tensor, edge_attr: Tensor,
                u: Tensor, batch: Tensor | None = None) -> list[dict[str, Any]]:
    """Run one graph-network block and return its six sub-steps in order.

    Args:
        block: the block (its weights are used as they are).
        x, edge_index, edge_attr, u, batch: as :meth:`GraphNetworkBlock.forward` (``batch``
            defaults to one graph).

    Returns:
        Six dicts ``{"key", "name", "symbol", "acts_on", "formula", "aggr", "inputs", "output"}``:
        ``inputs`` maps each argument's name to its numpy array as the sub-step read it (row k
        of ``phi_e``'s inputs belongs to edge k; row i of ``phi_v``'s to node i); ``output`` is
        the sub-step's result (``[E, d]``, ``[N, d]`` or ``[B, d]``), exactly what ``forward``
        computes.

    Shapes:
        x ``[N, dv]``, edge_index ``[2, E]``, edge_attr ``[E, de]``, u ``[B, du]``.
    """
    if batch is None:
        batch = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
    with torch.no_grad():
        out = block.substeps(x, edge_index, edge_attr, u, batch)
    s, r = edge_index
    ins = {
        "phi_e": {"e": edge_attr, "v_s": x[s], "v_r": x[r], "u": u[batch[s]]},
        "rho_ev": {"e'": out["phi_e"]},
        "phi_v": {"ebar'": out["rho_ev"], "v": x, "u": u[batch]},
        "rho_eu": {"e'": out["phi_e"]},
        "rho_vu": {"v'": out["phi_v"]},
        "phi_u": {"ebar'": out["rho_eu"], "vbar'": out["rho_vu"], "u": u},
    }
    return [{"key": key, "name": name, "symbol": sym, "acts_on": on, "formula": formula,
             "aggr": block.aggr, "inputs": {k: _np(v) for k, v in ins[key].items()},
             "output": _np(out[key])} for key, name, sym, on, formula in SUBSTEPS]


def edge_features(graph: Graph) -> tuple[np.ndarray, str]:
    """The edge features the GN block and the MPNN read, and where they came from.

    Returns:
        ``(edge_attr [E, D], source)`` with source ``"edge_attr"``, ``"edge_weight"`` or
        ``"constant"`` (no edge features: every edge gets the single feature 1, as
        :func:`explorer.nn.run_stack` does).
    """
    if graph.edge_attr is not None:
        return np.asarray(graph.edge_attr, dtype=np.float64), "edge_attr"
    if graph.edge_weight is not None:
        return np.asarray(graph.edge_weight, dtype=np.float64).reshape(-1, 1), "edge_weight"
    return np.ones((graph.n_edges, 1)), "constant"


def _prepare(graph: Graph, kind: str, layers: int, hidden: int, seed: int, features: str,
             **opts: Any) -> tuple[torch.nn.Module, Tensor, Tensor, Tensor, str | None]:
    """The model :func:`explorer.nn.run_stack` would build for these settings, and its inputs."""
    from explorer.nn.features import check_features, default_features
    from explorer.nn.run import build_model

    x_np, notice = default_features(graph, features, seed)
    x_np = check_features(x_np, graph)
    ea_np, _ = edge_features(graph)
    with seeded(seed):  # the same seed and order as run_stack: the same weights
        model = build_model(kind, x_np.shape[1], layers=layers, hidden=hidden, edge_dim=ea_np.shape[1], **opts)
    x = torch.tensor(x_np, dtype=torch.float32)
    ea = torch.tensor(ea_np, dtype=torch.float32)
    return model, x, torch.as_tensor(graph.edge_index), ea, notice


def gn_layers(graph: Graph, *, layers: int = 2, hidden: int = 4, seed: int = 0, features: str = "auto",
              aggr: str = "sum") -> dict[str, Any]:
    """The sub-steps of every block of the GN stack that ``run_stack(layer="gn")`` runs.

    The model, features and weights are those of :func:`explorer.nn.run_stack` with the same
    settings (the first block reads the node features, the edge features of
    :func:`edge_features` and a zero global vector of width 1).

    Returns:
        ``{"layers": [six sub-step dicts per block], "x" [N, F], "edge_attr" [E, D],
        "edge_source", "u0" [1, 1], "features_notice"}``.

    Raises:
        ModelError: bad settings or features (as ``run_stack``).
    """
    if layers < 1 or hidden < 1:
        raise ModelError(f"expected layers >= 1 and hidden >= 1, found layers={layers}, hidden={hidden}")
    model, x, ei, ea, notice = _prepare(graph, "gn", layers, hidden, seed, features, aggr=aggr)
    u = x.new_zeros((1, 1))
    out = []
    v, e = x, ea
    for block in model.blocks:
        steps = gn_substeps(block, v, ei, e, u)
        out.append(steps)
        by = {s["key"]: s["output"] for s in steps}
        v, e, u = (torch.tensor(by[k], dtype=torch.float32) for k in ("phi_v", "phi_e", "phi_u"))
    return {"layers": out, "x": _np(x), "edge_attr": _np(ea), "edge_source": edge_features(graph)[1],
            "u0": np.zeros((1, 1)), "features_notice": notice}


def mpnn_node_detail(graph: Graph, node: int, *, step: int = 0, steps: int = 2, hidden: int = 4,
                     seed: int = 0, features: str = "auto") -> dict[str, Any]:
    """One MPNN step at one node: ``A(e_ij)``, the messages ``A(e_ij) h_j``, their sum, the
    root term, and the GRU's gates and new state.

    The model is the one ``run_stack(graph, layer="mpnn", layers=steps, hidden=hidden,
    seed=seed)`` runs; the whole step comes from its recorded forward, and the GRU gates are
    computed from its weights (PyTorch's gate order r, z, n)::

        m_i  = ReLU( sum_j A(e_ij) h_j + Theta h_i + b )
        r    = sigmoid(W_ir m_i + b_ir + W_hr h_i + b_hr)
        z    = sigmoid(W_iz m_i + b_iz + W_hz h_i + b_hz)
        n    = tanh(W_in m_i + b_in + r * (W_hn h_i + b_hn))
        h'_i = (1 - z) * n + z * h_i

    Returns:
        ``{"node", "step", "h" [H] (state before the step), "incoming": [{"edge", "sender",
        "edge_attr" [D], "A" [H, H], "h_j" [H], "message" [H]}], "sum" [H], "root" [H]
        (Theta h_i + b), "m" [H], "r", "z", "n", "h_new" [H] (from the gates),
        "h_new_module" [H] (the module's own output; equal to h_new up to float rounding)}``.
        ``A(e_ij)`` is PyG's ``[in, out]`` edge matrix transposed, so the message is ``A h_j``.

    Raises:
        ModelError: ``node`` or ``step`` out of range.
    """
    if not 0 <= node < graph.n_nodes:
        raise ModelError(f"expected a node in [0, {graph.n_nodes - 1}], found {node}")
    if not 0 <= step < steps:
        raise ModelError(f"expected a step in [0, {steps - 1}], found {step}; the MPNN runs {steps} steps")
    model, x, ei, ea, _ = _prepare(graph, "mpnn", steps, hidden, seed, features)
    recs: list[dict] = [dict() for _ in range(steps)]
    with torch.no_grad():
        _, states, _, _ = model(x, ei, ea, recorders=recs)
        h = model.lin0(x).relu() if step == 0 else states[step - 1]
        rec = recs[step]
        incoming = np.flatnonzero(graph.receivers == node)
        mats = model.conv.nn(ea[incoming]).view(-1, hidden, hidden)  # [k, in, out] as NNConv reads it
        root = (model.conv.lin(h[node]) if model.conv.lin is not None else torch.zeros(hidden)) \
            + (model.conv.bias if model.conv.bias is not None else 0)
        m = rec["gru_input"][node]
        g = model.gru
        gi = g.weight_ih_l0 @ m + g.bias_ih_l0
        gh = g.weight_hh_l0 @ h[node] + g.bias_hh_l0
        r = torch.sigmoid(gi[:hidden] + gh[:hidden])
        z = torch.sigmoid(gi[hidden:2 * hidden] + gh[hidden:2 * hidden])
        n = torch.tanh(gi[2 * hidden:] + r * gh[2 * hidden:])
        h_new = (1 - z) * n + z * h[node]
    inc = [{"edge": int(k), "sender": int(graph.senders[k]), "edge_attr": _np(ea[k]),
            "A": _np(mats[j].T), "h_j": _np(h[graph.senders[k]]), "message": _np(rec["messages"][k])}
           for j, k in enumerate(incoming)]
    return {"node": int(node), "step": int(step), "h": _np(h[node]), "incoming": inc,
            "sum": _np(rec["aggregates"][node]), "root": _np(root), "m": _np(m),
            "r": _np(r), "z": _np(z), "n": _np(n), "h_new": _np(h_new),
            "h_new_module": _np(rec["states"][node])}
