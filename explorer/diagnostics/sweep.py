"""Depth sweeps: every over-smoothing metric at every layer of a deep stack, on CPU or GPU.

Layer 0 is the input features; layer k is the output of the k-th layer (what layer k+1 gets),
see :mod:`explorer.diagnostics.stack`. The forward runs in float32 under ``torch.no_grad``
(random, seeded initialisation unless ``weights`` are given); the metrics are float64.
A layer whose features are not finite (overflow in a deep stack) is flagged ``"overflow":
True`` and its metrics are ``None``; the layers after it are not computed and flagged too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from explorer.seeding import seeded
from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.diagnostics.context import EXACT_PAIRS_LIMIT, SAMPLE_PAIRS, MetricContext
from explorer.diagnostics.device import resolve_device
from explorer.diagnostics.metrics import METRIC_KEYS, all_metrics
from explorer.diagnostics.stack import DeepStack

__all__ = ["SweepResult", "depth_sweep", "check_depth", "MAX_DEPTH", "Progress", "input_features"]

#: the deepest stack a sweep builds (the issue's limit)
MAX_DEPTH = 128

#: progress(done_layers, total_layers), called after each layer
Progress = Callable[[int, int], None]


@dataclass
class SweepResult:
    """What a depth sweep measured.

    Attributes:
        device: the torch device it ran on (``"cpu"``, ``"cuda:0"``).
        layers: one dict per layer 0..L: ``"layer"``, the metrics of
            :data:`~explorer.diagnostics.metrics.METRIC_KEYS`, ``"survey_measure"`` (sqrt E),
            ``"pairs_sampled"`` and ``"overflow"``.
        features: ``[N, hidden]`` float32 arrays per layer (layer 0: ``[N, F]`` input) when the
            sweep kept them, else ``None``.
        params: everything needed to reproduce the run (seed included).
    """

    device: str
    layers: list[dict[str, Any]]
    features: list[np.ndarray] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """The ``oversmooth --json`` document: ``{"device", "layers": [{"layer", metrics...}]}``.

        Exactly the issue's keys; an overflowed layer has ``null`` metrics.
        """
        return {"device": self.device,
                "layers": [{"layer": int(d["layer"]), **{k: d.get(k) for k in METRIC_KEYS}}
                           for d in self.layers]}


def check_depth(depth: int, max_depth: int = MAX_DEPTH) -> int:
    """Return ``depth`` as an int, or raise :class:`ModelError` naming the limit."""
    depth = int(depth)
    if not 1 <= depth <= int(max_depth):
        raise ModelError(f"depth must be between 1 and {max_depth} layers (the limit; found {depth}); "
                         "choose a smaller --depth")
    return depth


def input_features(graph: Graph) -> tuple[np.ndarray, str]:
    """The graph's features, or the GNN pages' default (one-hot degree) with a notice."""
    from explorer.nn.features import default_features
    return default_features(graph, "auto")


def _load_weights(model: torch.nn.Module, weights: Any) -> None:
    state = weights
    if isinstance(weights, (str, Path)):
        state = torch.load(str(weights), map_location="cpu", weights_only=True)
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, AttributeError) as e:
        keys = sorted(model.state_dict())[:6]
        raise ModelError(f"the weights do not fit this stack ({str(e).splitlines()[0]}); expected a "
                         f"state dict with keys like {keys} for the same layer, depth, hidden and "
                         "remedy") from e


def depth_sweep(graph: Graph, *, layer: str = "gcn", depth: int = 16, hidden: int = 64,
                remedy: str = "none", device: str = "auto", seed: int = 0, weights: Any = None,
                progress: Progress | None = None, keep_features: bool = False,
                dropedge_p: float = 0.5, pairnorm_scale: float = 1.0, alpha: float = 0.1,
                lam: float = 0.5, max_depth: int = MAX_DEPTH, x: np.ndarray | None = None,
                exact_pairs_limit: int = EXACT_PAIRS_LIMIT, sample_pairs: int = SAMPLE_PAIRS,
                near: int = 3, far: int = 8, adapt_hops: bool = False) -> SweepResult:
    """Run a ``depth``-layer stack on ``graph`` and measure every metric after every layer.

    Args:
        graph: the graph (its ``x``, else one-hot degree features; ``edge_weight`` feeds GCN).
        layer: ``"gcn"``, ``"sage"``, ``"gat"`` or ``"gin"``.
        depth: number of layers L, 1..``max_depth``.
        hidden: width of every layer.
        remedy: ``"none"``, ``"residual"``, ``"pairnorm"``, ``"gcnii"`` (GCN only) or ``"dropedge"``.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"`` (see :func:`resolve_device`).
        seed: seeds the initial weights, DropEdge's draws and the metric pair sample.
        weights: a state dict (or a path to one saved with ``torch.save``) of the same
            :class:`~explorer.diagnostics.stack.DeepStack`, e.g. a trained one.
        progress: called as ``progress(done, total)`` after each layer.
        keep_features: keep every layer's features in ``result.features``.
        dropedge_p, pairnorm_scale, alpha, lam: remedy parameters.
        max_depth: the depth limit (default :data:`MAX_DEPTH`).
        x: ``[N, F]`` features overriding the graph's.
        exact_pairs_limit, sample_pairs, near, far: see
            :func:`~explorer.diagnostics.metrics.all_metrics`.
        adapt_hops: scale MADGap's ``near``/``far`` to the graph's diameter when no pair is
            ``far`` hops apart (:func:`~explorer.diagnostics.hops.adaptive_thresholds`); the
            thresholds used are ``result.params["mad_gap_hops"]``.

    Returns:
        A :class:`SweepResult` with L + 1 layer dicts.

    Raises:
        ModelError: depth outside 1..max_depth, bad layer/remedy/options, weights that do not fit.
        DeviceError: CUDA asked for without a GPU.

    Shapes:
        graph.x or x: [N, F]; result.features[k]: [N, F] for k = 0, [N, hidden] after.
    """
    depth, hidden = check_depth(depth, max_depth), int(hidden)
    if hidden < 1:
        raise ModelError(f"hidden must be >= 1 (found {hidden})")
    dev = resolve_device(device)
    notice = ""
    if x is None:
        x, notice = input_features(graph)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] != graph.n_nodes:
        raise ModelError(f"expected features of shape [{graph.n_nodes}, F], found {list(x.shape)}")
    if not np.isfinite(x).all():
        raise ModelError("the input features contain NaN or inf (or overflow float32); fix them first")
    with seeded(seed, restore=True):  # alone: other threads' draws would change the weights
        model = DeepStack(layer, x.shape[1], hidden, depth, remedy, dropedge_p=dropedge_p,
                          pairnorm_scale=pairnorm_scale, alpha=alpha, lam=lam)
    if weights is not None:
        _load_weights(model, weights)
    model = model.to(dev).eval()
    xt = torch.from_numpy(x).to(dev)
    ei = torch.from_numpy(graph.edge_index.copy()).to(dev)
    ew = None if graph.edge_weight is None else torch.from_numpy(graph.edge_weight.astype(np.float32)).to(dev)
    gen = torch.Generator().manual_seed(seed + 1)
    ctx = MetricContext.build(graph, graph.n_nodes, device=dev, exact_pairs_limit=exact_pairs_limit,
                              sample_pairs=sample_pairs, seed=seed, near=near, far=far,
                              adapt=adapt_hops)
    feats: list[np.ndarray] | None = [x.copy()] if keep_features else None
    layers = [{"layer": 0, **all_metrics(xt, ctx, near=near, far=far)}]
    overflow = layers[0]["overflow"]
    with torch.no_grad():
        it = model.layers(xt, ei, ew, generator=gen)
        for k in range(1, depth + 1):
            h = next(it)
            if overflow:       # past an overflow: features kept (non-finite), metrics skipped
                row = {"layer": k, **{m: None for m in METRIC_KEYS}, "survey_measure": None,
                       "pairs_sampled": ctx.pairs_sampled, "overflow": True}
            else:
                row = {"layer": k, **all_metrics(h, ctx, near=near, far=far)}
                overflow = row["overflow"]
            if feats is not None:
                feats.append(h.detach().cpu().numpy().copy())
            layers.append(row)
            if progress is not None:
                progress(k, depth)
    params = {"layer": layer, "depth": depth, "hidden": hidden, "remedy": remedy, "seed": seed,
              "device_requested": str(device), "dropedge_p": dropedge_p,
              "pairnorm_scale": pairnorm_scale, "alpha": alpha, "lambda": lam,
              "n_nodes": graph.n_nodes, "n_edges": graph.n_edges, "in_features": int(x.shape[1]),
              "features_notice": notice, "weights": "given" if weights is not None else "random",
              "pairs": "exact" if ctx.exact else f"sampled ({ctx.pairs_sampled} pairs, seed {seed})",
              "mad_gap_hops": ctx.hop_thresholds()}
    return SweepResult(device=str(dev), layers=layers, features=feats, params=params)
