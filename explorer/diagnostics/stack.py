"""The deep stack a depth sweep runs: PyG-semantics layers from :mod:`explorer.nn` plus a remedy.

One layer ``k`` (1-based) maps ``h_{k-1}`` to ``h_k``; the features recorded for layer ``k``
are exactly what layer ``k + 1`` receives, so every layer ends with the activation (ReLU):

    none       h_k = relu(conv_k(h_{k-1}))
    residual   h_k = h_{k-1} + relu(conv_k(h_{k-1}))     (skip only where widths match)
    pairnorm   h_k = relu(PairNorm(conv_k(h_{k-1})))
    dropedge   h_k = relu(conv_k(h_{k-1}, thinned edges))  (a fresh seeded draw per layer)
    gcnii      h_0' = relu(lin0(x));  h_k = relu(GCN2Conv_k(h_{k-1}, h_0'))   (GCN only)

``conv_k`` comes from :func:`explorer.nn.make_layer` (GCN, SAGE, GAT, GIN; PyG defaults), so the
numbers are the ones the GNN pages compute. DropEdge is applied in every forward pass, as during
training, to show what the thinned graphs do to the features.
"""

from __future__ import annotations

from typing import Iterator

import torch
from torch import Tensor, nn

from explorer.errors import ModelError
from explorer.nn import make_layer
from explorer.diagnostics.remedies import REMEDIES, GCN2Conv, PairNorm, drop_edge

__all__ = ["DeepStack", "LAYERS"]

LAYERS = ("gcn", "sage", "gat", "gin")


class DeepStack(nn.Module):
    """``depth`` message-passing layers of one kind with one remedy (see the module docstring).

    Args:
        layer: ``"gcn"``, ``"sage"``, ``"gat"`` or ``"gin"``.
        in_dim: input feature width F.
        hidden: width of every layer's output.
        depth: number of layers L.
        remedy: one of :data:`~explorer.diagnostics.remedies.REMEDIES`.
        dropedge_p: DropEdge's drop probability.
        pairnorm_scale: PairNorm's ``s``.
        alpha, lam: GCNII's initial-residual strength and lambda (beta_l = ln(lam/l + 1)).

    Raises:
        ModelError: an unknown layer or remedy, or GCNII with a layer other than GCN.
    """

    def __init__(self, layer: str, in_dim: int, hidden: int, depth: int, remedy: str = "none", *,
                 dropedge_p: float = 0.5, pairnorm_scale: float = 1.0, alpha: float = 0.1,
                 lam: float = 0.5):
        super().__init__()
        if layer not in LAYERS:
            raise ModelError(f"expected a layer among {', '.join(LAYERS)}, found {layer!r}")
        if remedy not in REMEDIES:
            raise ModelError(f"expected a remedy among {', '.join(REMEDIES)}, found {remedy!r}")
        if remedy == "gcnii" and layer != "gcn":
            raise ModelError(f"the gcnii remedy replaces the layers by GCN2Conv (GCN only); found "
                             f"layer {layer!r}: use layer 'gcn' with gcnii, or another remedy")
        if remedy == "dropedge" and not 0.0 <= dropedge_p < 1.0:
            raise ModelError(f"DropEdge needs 0 <= p < 1 (got p={dropedge_p})")
        self.layer, self.remedy, self.depth = layer, remedy, int(depth)
        self.dropedge_p = float(dropedge_p)
        if remedy == "gcnii":
            self.lin0 = nn.Linear(in_dim, hidden)
            self.convs = nn.ModuleList(GCN2Conv(hidden, alpha, theta=lam, layer=k + 1) for k in range(depth))
        else:
            self.convs = nn.ModuleList(make_layer(layer, in_dim if k == 0 else hidden, hidden)
                                       for k in range(depth))
        self.norm = PairNorm(pairnorm_scale) if remedy == "pairnorm" else None

    def layers(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None, *,
               generator: torch.Generator | None = None) -> Iterator[Tensor]:
        """Yield ``h_1, ..., h_L`` one layer at a time (the caller may stop early).

        Args:
            x: ``[N, F]`` input features (on the model's device).
            edge_index: ``[2, E]`` long.
            edge_weight: ``[E]`` or ``None``; used by GCN and GCNII only.
            generator: CPU generator for DropEdge's draws (required for that remedy).

        Shapes:
            x [N, F] -> each yield [N, hidden].
        """
        ew = edge_weight if self.layer == "gcn" else None
        if self.remedy == "dropedge" and generator is None:
            raise ModelError("the dropedge remedy needs a seeded torch.Generator for its draws")
        h = x
        h0 = torch.relu(self.lin0(x)) if self.remedy == "gcnii" else None
        if h0 is not None:
            h = h0
        for conv in self.convs:
            ei, w = edge_index, ew
            if self.remedy == "dropedge":
                ei, w = drop_edge(edge_index, self.dropedge_p, generator, ew)
            if self.remedy == "gcnii":
                out = torch.relu(conv(h, h0, ei, w))
            else:
                z = conv(h, ei, w) if w is not None else conv(h, ei)
                if self.norm is not None:
                    z = self.norm(z)
                out = torch.relu(z)
                if self.remedy == "residual" and out.shape == h.shape:
                    out = h + out
            h = out
            yield h

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None, *,
                generator: torch.Generator | None = None) -> Tensor:
        """The last layer's features ``[N, hidden]``."""
        h = x
        for h in self.layers(x, edge_index, edge_weight, generator=generator):
            pass
        return h
