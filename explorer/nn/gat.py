"""``GATConv``: graph attention with PyG 2.8 semantics (recording conventions in
:mod:`explorer.nn.layers`)."""

from __future__ import annotations

import torch
from torch import Tensor, nn
import torch.nn.functional as F

from explorer.nn.ops import Recorder, check_inputs, glorot_, keep, remaining_self_loops, scatter

__all__ = ["GATConv"]


class GATConv(nn.Module):
    """Graph attention, as PyG's ``GATConv`` (single shared ``lin``, no edge features).

    Per edge j -> i and head h: ``e = LeakyReLU(att_src . Wx_j + att_dst . Wx_i)``, softmax over
    the edges into i (self-loop included), dropout on the normalised attention in training, then
    ``x'_i = sum_j alpha_ji W x_j``; heads are concatenated (``[N, H*C]``) or averaged (``[N, C]``),
    then the bias is added. Existing loops are removed and one loop per node appended.

    Shapes:
        x ``[N, in]`` -> ``[N, heads*out]`` (concat) or ``[N, out]``; messages ``[E', H, C]``,
        aggregates ``[N, H, C]``, attention ``[E', H]``.
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True,
                 bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels, self.heads, self.concat = in_channels, out_channels, heads, concat
        self.negative_slope, self.dropout, self.add_self_loops = negative_slope, dropout, add_self_loops
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_channels))
        self.bias = nn.Parameter(torch.zeros(heads * out_channels if concat else out_channels)) if bias else None
        for t in (self.lin.weight, self.att_src, self.att_dst):
            glorot_(t)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None, *,
                recorder: Recorder | None = None) -> Tensor:
        check_inputs(x, edge_index, self.in_channels, "GATConv")
        n, H, C = x.shape[0], self.heads, self.out_channels
        ids = torch.arange(edge_index.shape[1], device=x.device)
        if self.add_self_loops:
            edge_index, ids, _ = remaining_self_loops(edge_index, n)
        h = self.lin(x).view(-1, H, C)
        a_src, a_dst = (h * self.att_src).sum(-1), (h * self.att_dst).sum(-1)
        s, r = edge_index[0], edge_index[1]
        alpha = self.attention(a_src.index_select(0, s) + a_dst.index_select(0, r), r, n)
        m = self.message(h.index_select(0, s), alpha)
        a = self.aggregate(m, r, n)
        out = self.update(a)
        keep(recorder, edge_index=edge_index, edge_ids=ids, attention=alpha, messages=m,
             aggregates=a, states=out)
        return out

    def attention(self, logits: Tensor, index: Tensor, n: int) -> Tensor:
        """LeakyReLU, softmax over each node's incoming edges (PyG's max shift and +1e-16),
        then dropout (training only). ``[E', H]``."""
        e = F.leaky_relu(logits, self.negative_slope)
        e_max = scatter(e.detach(), index, n, "max")
        z = (e - e_max.index_select(0, index)).exp()
        alpha = z / (scatter(z, index, n, "sum").index_select(0, index) + 1e-16)
        return F.dropout(alpha, p=self.dropout, training=self.training)

    def message(self, x_j: Tensor, alpha: Tensor) -> Tensor:
        """``alpha_ji^h * W^h x_j`` per head."""
        return alpha.unsqueeze(-1) * x_j

    def aggregate(self, m: Tensor, index: Tensor, n: int) -> Tensor:
        """Sum of incoming messages per head."""
        return scatter(m, index, n, "sum")

    def update(self, a: Tensor) -> Tensor:
        """Concatenate or average the heads, then add the bias."""
        out = a.reshape(a.shape[0], -1) if self.concat else a.mean(dim=1)
        return out if self.bias is None else out + self.bias
