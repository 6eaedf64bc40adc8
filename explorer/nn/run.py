"""``run_stack``: run a GNN on a :class:`~explorer.graph.Graph` and record it as one Trace.

Self-loops. GCN and GAT replace the graph's self-loops by one loop per node (PyG's rule).
Those loop messages are not edges of ``trace.graph`` (the input graph, unchanged apart from
``x`` set to the features used), so each step stores them in extras: ``"self_loop_messages"``
``[N, ...]`` (row i = the message node i sends itself), and for GAT ``"self_loop_attention"``
``[N, H]``, for GCN ``"self_loop_weight"`` ``[N]``. ``step.edges`` lists the graph's edges
that carried a message (for GCN/GAT: every non-loop edge; SAGE with ``fanout``: the sampled
ones) and ``step.messages`` their messages, so that per node
``aggregate = sum(messages into it) + self_loop_message``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from explorer.seeding import seeded
from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.nn.blocks import MPNN, GNStack
from explorer.nn.features import check_features, default_features
from explorer.nn.pyg_import import load_pyg_state_dict
from explorer.nn import recording
from explorer.nn.recording import (RF_WORK_LIMIT, check_trace_budget, estimate_trace_bytes,
                                   field_extras, receptive_fields, rf_budget)
from explorer.nn.stack import GNNStack, conv_specs
from explorer.trace import TRACE_BUDGET, Step, Trace

__all__ = ["run_stack", "build_model", "receptive_fields", "KINDS", "RF_SET_LIMIT", "RF_WORK_LIMIT"]

KINDS = ("gcn", "sage", "gat", "gin", "mpnn", "gn")
RF_SET_LIMIT = 300          #: receptive-field *sets* are stored for graphs up to this many nodes


def _edge_features(graph: Graph) -> np.ndarray:
    if graph.edge_attr is not None:
        return graph.edge_attr
    if graph.edge_weight is not None:
        return graph.edge_weight.reshape(-1, 1)
    return np.ones((graph.n_edges, 1))


def build_model(kind: str, in_channels: int, *, layers: int = 2, hidden: int = 16,
                out_channels: int | None = None, heads: int = 1, residual: bool = False,
                readout: str | None = None, edge_dim: int = 1, spec: dict | None = None,
                **layer_opts: Any) -> torch.nn.Module:
    """The module :func:`run_stack` runs (``GNNStack``, ``MPNN`` or ``GNStack``), in eval mode
    after loading ``spec["state_dict"]`` when a PyG spec is given."""
    if kind not in KINDS:
        raise ModelError(f"expected a layer in {KINDS}, found {kind!r}")
    if spec is not None:
        model = GNNStack(spec["kind"], spec["specs"], residual=residual, readout=readout,
                         **{**spec["layer_opts"], **layer_opts})
        model.convs.load_state_dict({k[len("convs."):]: v for k, v in spec["state_dict"].items()})
        return model.eval()
    if kind == "mpnn":
        return MPNN(in_channels, edge_dim, hidden, layers, readout=readout, **layer_opts).eval()
    if kind == "gn":
        return GNStack(in_channels, edge_dim, hidden, layers, **layer_opts).eval()
    specs = conv_specs(kind, in_channels, hidden, layers, out_channels, heads)
    return GNNStack(kind, specs, residual=residual, readout=readout, **layer_opts).eval()


def _split(ids: np.ndarray) -> tuple[Any, Any]:
    """Index objects for the real edges and the added self-loops: slices (views, no copy) when
    the loops come last, as :func:`explorer.nn.ops.remaining_self_loops` appends them."""
    k = int((ids >= 0).sum())
    if (ids[:k] >= 0).all():
        return slice(0, k), slice(k, None)
    return ids >= 0, ids < 0


def _layer_step(k: int, kind: str, rec: dict, state: np.ndarray, rf: list[dict] | None, n: int,
                last: bool) -> Step:
    ids = rec["edge_ids"].numpy()
    real, loop = _split(ids)
    n_real, has_loop = int(ids[real].size), bool(ids[loop].size)
    msgs = rec["messages"].numpy()
    extras: dict[str, Any] = {"activation": None if (last or kind in ("mpnn", "gn")) else "relu"}
    if has_loop:
        extras["self_loop_messages"] = msgs[loop]
    if "attention" in rec:
        att = rec["attention"].numpy()
        extras["attention"], extras["self_loop_attention"] = att[real], att[loop]
    if kind == "gcn":
        w = rec["edge_weight"].numpy()
        extras["coefficients"], extras["self_loop_weight"] = w[real], w[loop]
    for name in ("globals", "gru_input"):
        if name in rec:
            extras[name] = rec[name].numpy()
    if rf is not None:
        extras.update(rf[k])
    agg = rec["aggregates"].numpy()
    width = "x".join(str(d) for d in agg.shape[1:])
    note = (f"{'Step' if kind == 'mpnn' else 'Layer'} {k + 1}: {n_real} edges sent messages"
            + (" and every node sent one to itself" if has_loop else "")
            + f"; each node aggregated what it received (width {width}) and updated its state "
            f"(width {state.shape[1]}).")
    return Step(edges=ids[real], messages=msgs[real], aggregates=agg, states=state, extras=extras,
                note=note, label=f"layer {k + 1}" if kind not in ("mpnn",) else f"step {k + 1}")


def _check_budget(graph: Graph, kind: str, model: torch.nn.Module, layers: int, hidden: int,
                  fanout: int | None, budget: int, fields: bool) -> int:
    """The recorded Trace's estimated bytes; refuses before running when it passes ``budget``."""
    specs = getattr(model, "specs", None)
    est = estimate_trace_bytes(graph, kind, specs, layers=layers, hidden=hidden, fanout=fanout,
                               fields=fields)
    if est > budget:
        fit = 0
        while fit < layers and estimate_trace_bytes(graph, kind, specs, layers=fit + 1, hidden=hidden,
                                                    fanout=fanout, fields=fields) <= budget:
            fit += 1
        check_trace_budget(est, budget, layers=layers, fit_layers=fit, n_nodes=graph.n_nodes,
                           what=f"{layers} {kind} layers on {graph.n_nodes:,} nodes and "
                                f"{graph.n_edges:,} edges")
    return est


def run_stack(graph: Graph, *, layer: str = "gcn", layers: int = 2, hidden: int = 16,
              out_channels: int | None = None, heads: int = 1, seed: int = 0, features: str = "auto",
              weights: Any = None, residual: bool = False, readout: str | None = None,
              record: bool = True, record_budget: int = TRACE_BUDGET, gat_last: str | None = None,
              record_fields: bool = False, **layer_opts: Any) -> Trace:
    """Run ``layers`` layers of ``layer`` on ``graph`` and return one Trace (kind = ``layer``).

    Args:
        graph: the graph; ``graph.x`` is used when present (see :func:`default_features`).
        layer: ``"gcn"``, ``"sage"``, ``"gat"``, ``"gin"``, ``"mpnn"`` (T = ``layers`` steps)
            or ``"gn"`` (``layers`` graph-network blocks).
        layers, hidden, out_channels, heads: sizes as PyG's ``BasicGNN`` (see
            :func:`explorer.nn.stack.conv_specs`); ignored when ``weights`` is given.
        seed: seeds parameter initialisation (and feature / sampling randomness).
        features: ``"auto"``, ``"x"``, ``"constant"``, ``"degree"``, ``"identity"``, ``"random"``.
        weights: a PyG state dict, its path, or a spec from :func:`load_pyg_state_dict`.
        residual: add each layer's input to its output when widths match.
        readout: ``None`` or ``"sum"``/``"mean"``/``"max"``/``"attention"``: a final graph-level
            step (for ``gn`` the global state ``u`` is the graph output).
        record: keep messages and aggregates (``False``: states only, faster).
        record_budget: most bytes the recorded Trace may keep; the size is estimated from the
            graph and the model *before* running (:func:`explorer.nn.recording.estimate_trace_bytes`).
        gat_last: ``"mean"`` or ``"concat"``: how the last layer of a GAT state dict given as
            ``weights`` combines its heads when the file cannot tell (see
            :func:`explorer.nn.load_pyg_state_dict`).
        record_fields: also store every node's receptive field in each layer step (within
            :func:`explorer.nn.recording.rf_budget`; see that module). Default ``False``: the
            fields depend on the graph and the depth only, and
            :func:`explorer.nn.receptive_field` gives any one node's on demand.
        **layer_opts: layer options (``aggr``, ``improved``, ``fanout``, ``eps``, ``dropout``...).

    Returns:
        A :class:`Trace`; one step per layer (messages, aggregates, states = the layer output
        before the next ReLU, extras as in the module docstring; with ``record_fields`` also
        ``"receptive_field"`` ``[N]`` sizes and, for graphs of up to :data:`RF_SET_LIMIT`
        nodes, ``"receptive_field_sets"``, a Ragged of each node's sorted field), then a
        readout step.
        ``result``: ``"output"`` ``[N, d]``, ``"layers"`` (states per layer), ``"readout"``
        ``[d]`` or ``None``, ``"features_notice"``, ``"receptive_fields_notice"`` (why fields
        asked for were not computed, or ``None``).

    Raises:
        ModelError: bad options, NaN/inf features, or features that do not fit the weights.
        TooLargeError: recording would pass ``record_budget`` (nothing has run yet).
    """
    if layer not in KINDS:
        raise ModelError(f"expected a layer in {KINDS}, found {layer!r}")
    x_np, notice = default_features(graph, features, seed)
    x_np = check_features(x_np, graph)
    spec = None
    if weights is not None:
        spec = (weights if isinstance(weights, dict) and "specs" in weights
                else load_pyg_state_dict(weights, gat_last=gat_last))
        if spec["in_channels"] != x_np.shape[1]:
            used = f"features={features!r}" + ("" if notice else ", the graph's attribute x")
            raise ModelError(f"the weights expect {spec['in_channels']} input features per node, but the "
                             f"features used have {x_np.shape[1]} ({used}); give the graph features of "
                             f"width {spec['in_channels']} or choose another features option")
        layer, layers, hidden, heads = spec["kind"], spec["layers"], spec["hidden"], spec["heads"]
        out_channels = spec["out_channels"]
    ea_np = _edge_features(graph)
    with seeded(seed):  # the seed's weights even while other threads build models
        model = build_model(layer, x_np.shape[1], layers=layers, hidden=hidden, out_channels=out_channels,
                            heads=heads, residual=residual, readout=readout, edge_dim=ea_np.shape[1],
                            spec=spec, **layer_opts)
    fields = record and record_fields
    est = (_check_budget(graph, layer, model, layers, hidden, layer_opts.get("fanout"), record_budget, fields)
           if record else 0)
    x = torch.tensor(x_np, dtype=torch.float32)
    ei = torch.as_tensor(graph.edge_index)
    recs = [dict() for _ in range(layers)] if record else None
    with torch.no_grad():
        if layer in ("mpnn", "gn"):
            out, states, pooled, weights_ = model(x, ei, torch.tensor(ea_np, dtype=torch.float32), recorders=recs)
        else:
            ew = None if graph.edge_weight is None else torch.tensor(graph.edge_weight, dtype=torch.float32)
            out, states, pooled, weights_ = model(x, ei, ew, recorders=recs)
    states_np = [s.numpy().astype(np.float64) for s in states]
    rf = field_extras(graph, layers, work_limit=rf_budget(est), set_limit=RF_SET_LIMIT) if fields else None
    rf_notice = None
    if fields and rf is None:
        rf_notice = (f"receptive fields were not computed: every node's field on {graph.n_nodes:,} "
                     f"nodes and {graph.n_edges:,} edges would cost {recording.rf_work(graph, layers):,} "
                     f"word operations, more than this run allows ({rf_budget(est):,}, see "
                     "explorer.nn.recording); explorer.nn.receptive_field(graph, node, depth) gives one node's")
    steps = []
    for k in range(layers):
        if record:
            steps.append(_layer_step(k, layer, recs[k], states_np[k], rf, graph.n_nodes, k == layers - 1))
        else:
            steps.append(Step(edges=np.zeros(0, np.int64), messages=None, aggregates=None,
                              states=states_np[k], note=f"Layer {k + 1} (not recorded).", label=f"layer {k + 1}"))
    graph_out = None if pooled is None else pooled[0].numpy().astype(np.float64)
    if readout is not None or layer == "gn":
        how = "global update u" if layer == "gn" else f"{readout} readout"
        extras: dict[str, Any] = {"readout": graph_out, "mode": "global" if layer == "gn" else readout}
        if weights_ is not None:
            extras["weights"] = weights_.numpy().astype(np.float64)
        steps.append(Step(edges=np.zeros(0, np.int64), messages=None, aggregates=None, states=None,
                          extras=extras, label="readout",
                          note=f"The {how} pooled all {graph.n_nodes} node states into one graph vector."))
    params = {"layer": layer, "layers": layers, "gat_last": gat_last, "hidden": hidden, "out_channels": out_channels,
              "heads": heads, "seed": seed, "features": features, "residual": residual,
              "readout": readout, "record": record, "record_fields": fields, "activation": "relu",
              "weights": str(weights) if isinstance(weights, (str, Path)) else (None if weights is None else "state dict"),
              "layer_opts": dict(layer_opts), "in_channels": int(x_np.shape[1])}
    result = {"output": out.numpy().astype(np.float64), "layers": states_np, "readout": graph_out,
              "features_notice": notice, "receptive_fields_notice": rf_notice}
    return Trace(kind=layer, graph=dataclasses.replace(graph, x=x_np), params=params, steps=steps,
                 result=result)
