"""Training small GNNs on CPU in seconds, keeping what the UI needs to show learning happen.

Node classification (karate club, a contextual SBM from :mod:`explorer.diagnostics.synthetic`)
and graph classification (a tiny synthetic set: cycles vs paths). Both are full-batch Adam on
cross-entropy, deterministic under ``seed`` (parameters, split, dropout all drawn from it), and
record per-epoch loss and accuracy plus snapshots of the hidden representations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from explorer.seeding import seeded
from explorer.errors import ModelError
from explorer.graph import Graph
from explorer.nn.features import check_features, default_features
from explorer.nn.run import _edge_features, build_model

__all__ = ["TrainResult", "train_node_classifier", "train_graph_classifier", "cycles_vs_paths",
           "stratified_split", "Progress"]

#: progress(epoch, epochs, loss, train_accuracy) -- called after every epoch
Progress = Callable[[int, int, float, float], None]


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        losses: ``[epochs]`` training loss after each epoch's update (measured before it).
        train_accuracy, test_accuracy: ``[epochs]`` accuracy after each epoch (eval mode).
        snapshots: ``[{"epoch": e, "hidden": [M, d], "output": [M, C]}, ...]`` at epoch 0
            (before training), every ``snapshot_every`` epochs and at the end; M = nodes (node
            task: the input of the last layer, after ReLU) or graphs (graph task: the pooled
            graph vectors).
        predictions: ``[M]`` predicted class after training.
        train_mask: ``[M]`` bool, which nodes/graphs were trained on.
        model: the trained torch module (eval mode).
        params: the options, seed included.
    """

    losses: list[float]
    train_accuracy: list[float]
    test_accuracy: list[float]
    snapshots: list[dict[str, Any]]
    predictions: np.ndarray
    train_mask: np.ndarray
    model: torch.nn.Module
    params: dict[str, Any] = field(default_factory=dict)


def stratified_split(y: np.ndarray, train_fraction: float, seed: int) -> np.ndarray:
    """``[M]`` bool train mask with ``ceil(fraction * count)`` items of each class (at least 1,
    at most count - 1 when the class has two or more), chosen with ``seed``."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(np.ceil(train_fraction * idx.size))
        k = max(1, min(k, idx.size - 1)) if idx.size > 1 else 1
        mask[idx[:k]] = True
    return mask


class _Head(torch.nn.Module):
    """A body from :func:`build_model` plus a linear classifier when the body has no output size."""

    def __init__(self, body: torch.nn.Module, classes: int, needs_head: bool, graph_level: bool):
        super().__init__()
        self.body, self.graph_level = body, graph_level
        self.head = torch.nn.Linear(body.out_dim, classes) if needs_head else None

    def forward(self, x, ei, extra, batch=None, n_graphs=None):
        out, states, pooled, _ = self.body(x, ei, extra, batch=batch, n_graphs=n_graphs)
        z = pooled if self.graph_level else out
        hidden = z if self.graph_level else (states[-2].relu() if len(states) > 1 else x)
        return (self.head(z) if self.head is not None else z), hidden


def _fit(model, inputs, y, train_mask, *, epochs, lr, weight_decay, progress, snapshot_every):
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    yt, tm = torch.tensor(y, dtype=torch.long), torch.tensor(train_mask)
    losses, tr_acc, te_acc, snaps = [], [], [], []

    def evaluate(epoch: int, snap: bool) -> np.ndarray:
        model.eval()
        with torch.no_grad():
            logits, hidden = model(*inputs)
        pred = logits.argmax(1).numpy()
        if snap:
            snaps.append({"epoch": epoch, "hidden": hidden.numpy().astype(np.float64),
                          "output": logits.numpy().astype(np.float64)})
        return pred

    evaluate(0, True)
    for epoch in range(1, epochs + 1):
        model.train()
        opt.zero_grad()
        logits, _ = model(*inputs)
        loss = F.cross_entropy(logits[tm], yt[tm])
        loss.backward()
        opt.step()
        pred = evaluate(epoch, epoch % max(snapshot_every, 1) == 0 or epoch == epochs)
        losses.append(float(loss.detach()))
        tr_acc.append(float((pred[train_mask] == y[train_mask]).mean()))
        te_acc.append(float((pred[~train_mask] == y[~train_mask]).mean()) if (~train_mask).any() else float("nan"))
        if progress is not None:
            progress(epoch, epochs, losses[-1], tr_acc[-1])
    model.eval()
    return losses, tr_acc, te_acc, snaps, pred


def train_node_classifier(graph: Graph, *, layer: str = "gcn", hidden: int = 16, layers: int = 2,
                          epochs: int = 100, lr: float = 0.01, weight_decay: float = 5e-4, seed: int = 0,
                          features: str = "auto", train_fraction: float = 0.5,
                          train_mask: np.ndarray | None = None, progress: Progress | None = None,
                          snapshot_every: int = 10, heads: int = 1, **layer_opts: Any) -> TrainResult:
    """Train a node classifier on ``graph.y`` (full batch, Adam, cross-entropy).

    Args:
        graph: a graph with labels ``y`` ``[N]``.
        layer, hidden, layers, heads, **layer_opts: the model, as :func:`explorer.nn.run_stack`
            (the last layer outputs one logit per class; mpnn/gn get a linear head).
        epochs, lr, weight_decay: optimiser settings.
        seed: seeds the split, the parameters and dropout.
        features: see :func:`explorer.nn.default_features`.
        train_fraction: share of each class used for training when ``train_mask`` is None.
        progress: called after each epoch (for a progress bar).
        snapshot_every: keep hidden representations every this many epochs.

    Raises:
        ModelError: the graph has no labels, or bad options.
    """
    if graph.y is None:
        raise ModelError("node classification needs labels y on the nodes; this graph has none "
                         "(try the 'karate' sample or a contextual SBM)")
    y = np.asarray(graph.y, dtype=np.int64)
    x, _ = default_features(graph, features, seed)
    x = check_features(x, graph)
    mask = stratified_split(y, train_fraction, seed) if train_mask is None else np.asarray(train_mask, bool)
    classes = int(y.max()) + 1
    ea = _edge_features(graph)
    needs_head = layer in ("mpnn", "gn")
    with seeded(seed):  # the seed's weights even while other threads build models
        body = build_model(layer, x.shape[1], layers=layers, hidden=hidden, heads=heads, edge_dim=ea.shape[1],
                           out_channels=None if needs_head else classes, **layer_opts)
        model = _Head(body, classes, needs_head, graph_level=False)
    ei = torch.as_tensor(graph.edge_index)
    extra = (torch.tensor(ea, dtype=torch.float32) if needs_head else
             None if graph.edge_weight is None else torch.tensor(graph.edge_weight, dtype=torch.float32))
    inputs = (torch.tensor(x, dtype=torch.float32), ei, extra)
    losses, tr, te, snaps, pred = _fit(model, inputs, y, mask, epochs=epochs, lr=lr, weight_decay=weight_decay,
                                       progress=progress, snapshot_every=snapshot_every)
    params = {"task": "node", "layer": layer, "hidden": hidden, "layers": layers, "epochs": epochs, "lr": lr,
              "weight_decay": weight_decay, "seed": seed, "features": features, "heads": heads,
              "train_fraction": train_fraction, "layer_opts": dict(layer_opts)}
    return TrainResult(losses, tr, te, snaps, pred, mask, model, params)


def cycles_vs_paths(n_graphs: int = 40, seed: int = 0, sizes: tuple[int, int] = (4, 10)
                    ) -> tuple[list[Graph], np.ndarray]:
    """A balanced toy set: label 1 = cycle, label 0 = path, sizes drawn from ``sizes`` (inclusive).

    Without node features the two are told apart only by structure (paths have two ends).
    """
    rng = np.random.default_rng(seed)
    graphs, labels = [], []
    for k in range(n_graphs):
        n = int(rng.integers(sizes[0], sizes[1] + 1))
        cyc = k % 2 == 1
        pairs = [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if cyc else [])
        graphs.append(Graph.from_edges(n, pairs, name=f"{'cycle' if cyc else 'path'}-{n}"))
        labels.append(int(cyc))
    return graphs, np.array(labels, dtype=np.int64)


def train_graph_classifier(graphs: list[Graph] | None = None, labels: np.ndarray | None = None, *,
                           layer: str = "gin", hidden: int = 16, layers: int = 3, epochs: int = 100,
                           lr: float = 0.01, weight_decay: float = 0.0, seed: int = 0, readout: str = "sum",
                           features: str = "constant", train_fraction: float = 0.7,
                           progress: Progress | None = None, snapshot_every: int = 10,
                           **layer_opts: Any) -> TrainResult:
    """Train a graph classifier (GNN, readout, linear head) on a list of graphs.

    Args:
        graphs, labels: the data set; default :func:`cycles_vs_paths` with ``seed``.
        readout: ``"sum"``, ``"mean"``, ``"max"`` or ``"attention"`` (``gn`` uses its global u).
        features: applied to every graph (default constant: structure only).
        Other arguments as :func:`train_node_classifier`.

    Returns:
        A :class:`TrainResult` over graphs (snapshots hold the pooled graph vectors).
    """
    if graphs is None:
        graphs, labels = cycles_vs_paths(seed=seed)
    if labels is None or len(labels) != len(graphs):
        raise ModelError(f"expected one label per graph ({len(graphs)}), found "
                         f"{None if labels is None else len(labels)}")
    y = np.asarray(labels, dtype=np.int64)
    xs = [check_features(default_features(g, features, seed)[0], g) for g in graphs]
    widths = {x.shape[1] for x in xs}
    if len(widths) > 1:  # one-hot degree widths differ between graphs: pad to the widest
        w = max(widths)
        xs = [np.pad(x, ((0, 0), (0, w - x.shape[1]))) for x in xs]
    offsets = np.cumsum([0] + [g.n_nodes for g in graphs])
    ei = np.concatenate([g.edge_index + off for g, off in zip(graphs, offsets)], axis=1)
    batch = np.repeat(np.arange(len(graphs)), [g.n_nodes for g in graphs])
    ea = np.concatenate([_edge_features(g) for g in graphs])
    mask = stratified_split(y, train_fraction, seed)
    with seeded(seed):  # the seed's weights even while other threads build models
        body = build_model(layer, xs[0].shape[1], layers=layers, hidden=hidden, readout=readout,
                           edge_dim=ea.shape[1], **layer_opts)
        model = _Head(body, int(y.max()) + 1, True, graph_level=True)
    extra = torch.tensor(ea, dtype=torch.float32) if layer in ("mpnn", "gn") else None
    inputs = (torch.tensor(np.concatenate(xs), dtype=torch.float32), torch.as_tensor(ei), extra,
              torch.as_tensor(batch), len(graphs))
    losses, tr, te, snaps, pred = _fit(model, inputs, y, mask, epochs=epochs, lr=lr, weight_decay=weight_decay,
                                       progress=progress, snapshot_every=snapshot_every)
    params = {"task": "graph", "layer": layer, "hidden": hidden, "layers": layers, "epochs": epochs, "lr": lr,
              "weight_decay": weight_decay, "seed": seed, "readout": readout, "features": features,
              "train_fraction": train_fraction, "n_graphs": len(graphs), "layer_opts": dict(layer_opts)}
    return TrainResult(losses, tr, te, snaps, pred, mask, model, params)
