"""A stack of layers as PyG's ``BasicGNN`` builds it, plus graph-level readouts.

``GNNStack`` holds ``convs`` (a ``ModuleList``, the same name PyG uses, so ``convs.<k>.*`` keys
of a PyG ``GCN``/``GraphSAGE``/``GAT``/``GIN`` state dict load unchanged). Between layers it
applies ReLU, and nothing after the last one. With ``residual=True`` a layer whose input and
output widths match adds its input to its output *before* the activation.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from explorer.errors import ModelError
from explorer.nn.layers import LAYER_KINDS, MLP, GATConv, GCNConv, GINConv, SAGEConv
from explorer.nn.ops import Recorder, scatter

__all__ = ["GNNStack", "Readout", "conv_specs", "READOUTS"]

READOUTS = ("sum", "mean", "max", "attention")


def conv_specs(kind: str, in_channels: int, hidden: int, layers: int,
               out_channels: int | None = None, heads: int = 1) -> list[dict[str, Any]]:
    """Per-layer sizes as PyG's ``BasicGNN`` chooses them.

    All layers output ``hidden`` except the last, which outputs ``out_channels`` when given.
    GAT hidden layers use ``hidden // heads`` channels per head, concatenated; a GAT last layer
    mapping to ``out_channels`` averages its heads (``concat=False``), as PyG's ``GAT``.

    Returns:
        ``[{"in": int, "out": int, "heads": int, "concat": bool}, ...]`` (out is per head).

    Raises:
        ModelError: layers < 1, or a GAT width not divisible by ``heads``.
    """
    if kind not in LAYER_KINDS:
        raise ModelError(f"expected a layer kind in {LAYER_KINDS}, found {kind!r}")
    if layers < 1 or hidden < 1:
        raise ModelError(f"expected layers >= 1 and hidden >= 1, found layers={layers}, hidden={hidden}")
    specs, d = [], in_channels
    for k in range(layers):
        last = k == layers - 1
        out, concat = hidden, True
        if last and out_channels is not None:
            out, concat = out_channels, False
        if kind == "gat" and concat:
            if out % heads:
                raise ModelError(f"GAT: the width {out} must be divisible by heads={heads}; "
                                 f"choose hidden as a multiple of {heads}")
            out //= heads
        specs.append({"in": d, "out": out, "heads": heads if kind == "gat" else 1,
                      "concat": concat if kind == "gat" else True})
        d = out * heads if (kind == "gat" and concat) else out
    return specs


def _build(kind: str, spec: dict[str, Any], opts: dict[str, Any], k: int) -> nn.Module:
    o = dict(opts)
    if kind == "gcn":
        return GCNConv(spec["in"], spec["out"], **o)
    if kind == "sage":
        if o.get("fanout") is not None:
            o["sample_seed"] = int(o.get("sample_seed", 0)) + k
        return SAGEConv(spec["in"], spec["out"], **o)
    if kind == "gat":
        return GATConv(spec["in"], spec["out"], heads=spec["heads"], concat=spec["concat"], **o)
    return GINConv(MLP([spec["in"], spec["out"], spec["out"]]), **o)


class Readout(nn.Module):
    """Graph-level pooling of node states: sum, mean, max or attention.

    Attention pooling: ``w = softmax_over_nodes(gate(h))`` with ``gate = Linear(d, 1)``, then
    ``sum_i w_i h_i`` (the gated pooling of Li et al. 2016, PyG's ``AttentionalAggregation``
    with a linear gate).

    Shapes:
        h ``[N, d]``, batch ``[N]`` graph id per node -> ``([B, d], weights [N] or None)``.
    """

    def __init__(self, mode: str, dim: int):
        super().__init__()
        if mode not in READOUTS:
            raise ModelError(f"expected readout in {READOUTS}, found {mode!r}")
        self.mode = mode
        self.gate = nn.Linear(dim, 1) if mode == "attention" else None

    def forward(self, h: Tensor, batch: Tensor | None = None, n_graphs: int | None = None
                ) -> tuple[Tensor, Tensor | None]:
        if batch is None:
            batch = torch.zeros(h.shape[0], dtype=torch.long, device=h.device)
            n_graphs = 1
        b = int(n_graphs if n_graphs is not None else (int(batch.max()) + 1 if batch.numel() else 1))
        if self.gate is None:
            return scatter(h, batch, b, self.mode), None
        g = self.gate(h).view(-1)
        g = (g - scatter(g.detach(), batch, b, "max")[batch]).exp()
        w = g / (scatter(g, batch, b, "sum")[batch] + 1e-16)
        return scatter(w.view(-1, 1) * h, batch, b, "sum"), w


class GNNStack(nn.Module):
    """``L`` message-passing layers with ReLU between them (none after the last).

    Args:
        kind: ``"gcn"``, ``"sage"``, ``"gat"`` or ``"gin"``.
        specs: per-layer sizes from :func:`conv_specs` (or inferred from a PyG state dict).
        residual: add each layer's input to its output when the widths match.
        readout: ``None`` or one of :data:`READOUTS` for a graph-level output.
        **layer_opts: passed to every layer (e.g. ``aggr``, ``improved``, ``fanout``, ``eps``).
    """

    def __init__(self, kind: str, specs: list[dict[str, Any]], *, residual: bool = False,
                 readout: str | None = None, **layer_opts: Any):
        super().__init__()
        self.kind, self.specs, self.residual = kind, specs, residual
        try:
            self.convs = nn.ModuleList(_build(kind, s, layer_opts, k) for k, s in enumerate(specs))
        except TypeError as e:
            raise ModelError(f"{kind}: unsupported layer option ({e})") from e
        last = specs[-1]
        self.out_dim = last["out"] * (last["heads"] if last["concat"] else 1)
        self.readout = Readout(readout, self.out_dim) if readout else None

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None, *,
                recorders: list[Recorder] | None = None, batch: Tensor | None = None,
                n_graphs: int | None = None) -> tuple[Tensor, list[Tensor], Tensor | None, Tensor | None]:
        """Run every layer.

        Returns:
            ``(output [N, d], states per layer [N, d_k] (pre-activation, residual added),
            graph output [B, d] or None, readout weights [N] or None)``.
        """
        states = []
        h = x
        for k, conv in enumerate(self.convs):
            rec = recorders[k] if recorders is not None else None
            out = conv(h, edge_index, edge_weight if self.kind == "gcn" else None, recorder=rec)
            if self.residual and out.shape == h.shape:
                out = out + h
            states.append(out)
            h = out.relu() if k < len(self.convs) - 1 else out
        pooled, weights = (None, None)
        if self.readout is not None:
            pooled, weights = self.readout(h, batch, n_graphs)
        return h, states, pooled, weights
