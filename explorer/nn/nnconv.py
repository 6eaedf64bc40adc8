"""``NNConv``: the edge-conditioned convolution of Gilmer's MPNN, PyG 2.8 semantics (recording
conventions in :mod:`explorer.nn.layers`)."""

from __future__ import annotations

import torch
from torch import Tensor

from explorer.errors import ModelError
from explorer.nn.ops import Recorder, check_inputs, keep, scatter, uniform_

__all__ = ["NNConv"]


class NNConv(torch.nn.Module):
    """Edge-conditioned convolution (Gilmer's edge network), as PyG's ``NNConv``.

    ``x'_i = lin(x_i) + bias + agg_j x_j^T W(e_ji)`` where ``nn`` maps an edge's features to
    ``in*out`` numbers read as a row-major ``[in, out]`` matrix. The GRU of Gilmer's MPNN is
    outside the layer (see :mod:`explorer.nn.blocks`).

    Shapes:
        x ``[N, in]``, edge_attr ``[E, D]`` -> ``[N, out]``; messages ``[E, out]``.
    """

    def __init__(self, in_channels: int, out_channels: int, nn: torch.nn.Module,
                 aggr: str = "add", root_weight: bool = True, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels, self.aggr = in_channels, out_channels, aggr
        self.nn = nn
        self.lin = torch.nn.Linear(in_channels, out_channels, bias=False) if root_weight else None
        self.bias = torch.nn.Parameter(torch.zeros(out_channels)) if bias else None
        if self.lin is not None:
            uniform_(self.lin.weight, in_channels)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, *,
                recorder: Recorder | None = None) -> Tensor:
        check_inputs(x, edge_index, self.in_channels, "NNConv")
        if edge_attr.dim() == 1:
            edge_attr = edge_attr.view(-1, 1)
        if edge_attr.shape[0] != edge_index.shape[1]:
            raise ModelError(f"NNConv: expected one edge_attr row per edge ({edge_index.shape[1]}), "
                             f"found {edge_attr.shape[0]}")
        n = x.shape[0]
        m = self.message(x.index_select(0, edge_index[0]), edge_attr)
        a = self.aggregate(m, edge_index[1], n)
        out = self.update(a, x)
        keep(recorder, edge_index=edge_index, edge_ids=torch.arange(edge_index.shape[1], device=x.device),
             messages=m, aggregates=a, states=out)
        return out

    def message(self, x_j: Tensor, edge_attr: Tensor) -> Tensor:
        """``x_j^T W(e_ji)``, a row vector times the edge's ``[in, out]`` matrix."""
        w = self.nn(edge_attr).view(-1, self.in_channels, self.out_channels)
        return torch.bmm(x_j.unsqueeze(1), w).squeeze(1)

    def aggregate(self, m: Tensor, index: Tensor, n: int) -> Tensor:
        """Sum (or the chosen ``aggr``) of incoming messages."""
        return scatter(m, index, n, self.aggr)

    def update(self, a: Tensor, x: Tensor) -> Tensor:
        """Add the root term ``lin(x_i)`` and the bias."""
        if self.lin is not None:
            a = a + self.lin(x)
        return a if self.bias is None else a + self.bias
