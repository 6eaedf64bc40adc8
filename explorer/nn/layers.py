"""Neural message-passing layers with PyTorch Geometric 2.8 semantics and parameter names.

Every layer runs the same three moves, in three named methods, on one code path::

    message   (per edge j -> i)  m_ji = phi(x_i, x_j, e_ji)
    aggregate (per node i)       a_i  = rho({m_ji})
    update    (per node i)       x'_i = gamma(x_i, a_i)

``forward(..., recorder=d)`` additionally stores the detached tensors in the dict ``d`` (see
:data:`explorer.nn.ops.Recorder`): ``edge_index`` actually used (after self-loop handling or
sampling), ``edge_ids`` (original edge id per used edge, -1 for added self-loops),
``messages`` ``[E', d]`` (GAT: ``[E', heads, C]``), ``aggregates`` ``[N, d]`` (GAT:
``[N, heads, C]``), ``states`` ``[N, d']`` and extras (GCN ``edge_weight`` = normalised
coefficients ``[E']``; GAT ``attention`` ``[E', heads]``). Recording never changes a result.

Parameter names and shapes are PyG's (``lin.weight``, ``bias``, ``lin_l``/``lin_r``,
``att_src``/``att_dst``, ``nn.*``, ``eps``), so a PyG ``state_dict`` loads unchanged.
See REFERENCE.md section 2 for the semantics followed, quirks included.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
import torch.nn.functional as F

from explorer.errors import ModelError
from explorer.nn.gat import GATConv
from explorer.nn.nnconv import NNConv
from explorer.nn.ops import (Recorder, check_inputs, glorot_, keep, remaining_self_loops,
                             sample_incoming, scatter)

__all__ = ["GCNConv", "SAGEConv", "GATConv", "GINConv", "NNConv", "MLP", "make_layer", "LAYER_KINDS"]

LAYER_KINDS = ("gcn", "sage", "gat", "gin")


class GCNConv(nn.Module):
    """Kipf & Welling's graph convolution, as PyG's ``GCNConv``.

    ``x'_i = sum_{j in N(i) u {i}} w_ji / sqrt(d_j d_i) * (Theta x_j) + b`` with ``d_i`` the
    weighted in-degree counting the self-loop. Existing self-loops are replaced by one loop per
    node that keeps the old loop's weight (PyG's ``add_remaining_self_loops``). ``improved=True``
    gives added loops weight 2, but, as in PyG, only when ``edge_weight`` is passed.

    Args:
        in_channels, out_channels: feature sizes.
        improved: added self-loops weigh 2 instead of 1 (with edge weights only).
        add_self_loops: ``None`` (PyG 2.8 default) means the same as ``normalize``.
        normalize: apply the symmetric normalisation; ``False`` sums raw ``w_ji Theta x_j``.
        bias: add a learnable bias after aggregation (zero-initialised).

    Shapes:
        x ``[N, in]``, edge_index ``[2, E]``, edge_weight ``[E]`` -> ``[N, out]``.
    """

    def __init__(self, in_channels: int, out_channels: int, improved: bool = False,
                 add_self_loops: bool | None = None, normalize: bool = True, bias: bool = True):
        super().__init__()
        if add_self_loops is None:
            add_self_loops = normalize
        if add_self_loops and not normalize:
            raise ModelError("GCNConv: add_self_loops=True requires normalize=True (as in PyG); "
                             "set add_self_loops=False or normalize=True")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.add_self_loops, self.normalize = improved, add_self_loops, normalize
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        glorot_(self.lin.weight)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None, *,
                recorder: Recorder | None = None) -> Tensor:
        check_inputs(x, edge_index, self.in_channels, "GCNConv")
        n = x.shape[0]
        ids = torch.arange(edge_index.shape[1], device=x.device)
        if self.add_self_loops:
            edge_index, ids, edge_weight = remaining_self_loops(
                edge_index, n, edge_weight, 2.0 if self.improved else 1.0)
        if edge_weight is None:
            edge_weight = x.new_ones(edge_index.shape[1])
        if self.normalize:
            deg = scatter(edge_weight, edge_index[1], n)
            dis = deg.pow(-0.5)
            dis.masked_fill_(dis == float("inf"), 0.0)
            edge_weight = dis[edge_index[0]] * edge_weight * dis[edge_index[1]]
        h = self.lin(x)
        m = self.message(h.index_select(0, edge_index[0]), edge_weight)
        a = self.aggregate(m, edge_index[1], n)
        out = self.update(a)
        keep(recorder, edge_index=edge_index, edge_ids=ids, edge_weight=edge_weight,
             messages=m, aggregates=a, states=out)
        return out

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:
        """``m_ji = c_ji * Theta x_j`` with the normalised coefficient ``c_ji``."""
        return edge_weight.view(-1, 1) * x_j

    def aggregate(self, m: Tensor, index: Tensor, n: int) -> Tensor:
        """Sum of incoming messages."""
        return scatter(m, index, n, "sum")

    def update(self, a: Tensor) -> Tensor:
        """Add the bias (after aggregation, as PyG)."""
        return a if self.bias is None else a + self.bias


class SAGEConv(nn.Module):
    """GraphSAGE, as PyG's ``SAGEConv``: ``x'_i = W_l agg_j x_j + b + W_r x_i``.

    The bias lives in ``lin_l`` (the neighbour branch); ``normalize`` L2-normalises after the
    root term; no self-loops are added; an isolated node aggregates to 0.

    Args:
        in_channels, out_channels: feature sizes.
        aggr: ``"mean"``, ``"max"``, ``"sum"`` (or ``"add"``) over incoming messages.
        normalize: L2-normalise each output row.
        root_weight: add ``lin_r(x_i)``.
        bias: bias in ``lin_l``.
        fanout: when set, each forward keeps at most ``fanout`` incoming edges per node, sampled
            with ``sample_seed`` (not in PyG's layer; PyG samples in its loaders). The recorded
            ``edge_ids`` are the sampled edges.

    Shapes:
        x ``[N, in]``, edge_index ``[2, E]`` -> ``[N, out]``; messages are ``x_j`` ``[E', in]``.
    """

    def __init__(self, in_channels: int, out_channels: int, aggr: str = "mean",
                 normalize: bool = False, root_weight: bool = True, bias: bool = True,
                 fanout: int | None = None, sample_seed: int = 0):
        super().__init__()
        if aggr not in ("mean", "max", "sum", "add"):
            raise ModelError(f"SAGEConv: expected aggr 'mean', 'max' or 'sum', found {aggr!r}")
        self.in_channels, self.out_channels, self.aggr = in_channels, out_channels, aggr
        self.normalize, self.root_weight = normalize, root_weight
        self.fanout, self.sample_seed = fanout, sample_seed
        self.lin_l = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_r = nn.Linear(in_channels, out_channels, bias=False) if root_weight else None

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None, *,
                recorder: Recorder | None = None) -> Tensor:
        check_inputs(x, edge_index, self.in_channels, "SAGEConv")
        n = x.shape[0]
        if self.fanout is not None:
            ids = sample_incoming(edge_index, n, self.fanout, self.sample_seed)
            edge_index = edge_index[:, ids]
        else:
            ids = torch.arange(edge_index.shape[1], device=x.device)
        m = self.message(x.index_select(0, edge_index[0]))
        a = self.aggregate(m, edge_index[1], n)
        out = self.update(a, x)
        keep(recorder, edge_index=edge_index, edge_ids=ids, messages=m, aggregates=a, states=out)
        return out

    def message(self, x_j: Tensor) -> Tensor:
        """The sender's features, unchanged."""
        return x_j

    def aggregate(self, m: Tensor, index: Tensor, n: int) -> Tensor:
        """Mean, max or sum of incoming messages (0 for a node with none)."""
        return scatter(m, index, n, self.aggr)

    def update(self, a: Tensor, x: Tensor) -> Tensor:
        """``lin_l(a) + lin_r(x)``, then optional L2 normalisation."""
        out = self.lin_l(a)
        if self.lin_r is not None:
            out = out + self.lin_r(x)
        return F.normalize(out, p=2.0, dim=-1) if self.normalize else out


class MLP(nn.Module):
    """Linear layers with ReLU between them and none after the last; parameter names
    ``lins.<k>.weight``/``bias`` as PyG's ``MLP`` (without normalisation or dropout)."""

    def __init__(self, channels: list[int]):
        super().__init__()
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in zip(channels[:-1], channels[1:]))

    def forward(self, x: Tensor) -> Tensor:
        for k, lin in enumerate(self.lins):
            x = lin(x)
            if k < len(self.lins) - 1:
                x = x.relu()
        return x


class GINConv(nn.Module):
    """Graph isomorphism layer, as PyG's ``GINConv``: ``x'_i = nn((1 + eps) x_i + sum_j x_j)``.

    No self-loops; edge weights are ignored (as PyG). ``eps`` is a parameter when
    ``train_eps`` and a buffer otherwise (both named ``eps``, shape ``[1]``).

    Shapes:
        x ``[N, in]`` -> ``[N, out of nn]``; messages are ``x_j`` ``[E, in]``.
    """

    def __init__(self, nn: torch.nn.Module, eps: float = 0.0, train_eps: bool = False):
        super().__init__()
        self.nn = nn
        self.initial_eps = eps
        if train_eps:
            self.eps = torch.nn.Parameter(torch.tensor([float(eps)]))
        else:
            self.register_buffer("eps", torch.tensor([float(eps)]))

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None, *,
                recorder: Recorder | None = None) -> Tensor:
        check_inputs(x, edge_index, None, "GINConv")
        n = x.shape[0]
        m = self.message(x.index_select(0, edge_index[0]))
        a = self.aggregate(m, edge_index[1], n)
        out = self.update(a, x)
        keep(recorder, edge_index=edge_index, edge_ids=torch.arange(edge_index.shape[1], device=x.device),
             messages=m, aggregates=a, states=out)
        return out

    def message(self, x_j: Tensor) -> Tensor:
        """The sender's features, unchanged."""
        return x_j

    def aggregate(self, m: Tensor, index: Tensor, n: int) -> Tensor:
        """Sum (the injective multiset aggregation GIN needs)."""
        return scatter(m, index, n, "sum")

    def update(self, a: Tensor, x: Tensor) -> Tensor:
        """``nn(a + (1 + eps) x)``."""
        return self.nn(a + (1 + self.eps) * x)


def make_layer(kind: str, in_dim: int, out_dim: int, **opts) -> nn.Module:
    """Build one layer by name, with PyG's defaults.

    Args:
        kind: ``"gcn"``, ``"sage"``, ``"gat"`` or ``"gin"``.
        in_dim, out_dim: feature sizes (GAT: ``out_dim`` per head).
        **opts: constructor options of that layer (GIN: ``eps``, ``train_eps``; its ``nn`` is
            ``MLP([in, out, out])``, as PyG's ``GIN`` model builds it).

    Raises:
        ModelError: an unknown kind or option.
    """
    try:
        if kind == "gcn":
            return GCNConv(in_dim, out_dim, **opts)
        if kind == "sage":
            return SAGEConv(in_dim, out_dim, **opts)
        if kind == "gat":
            return GATConv(in_dim, out_dim, **opts)
        if kind == "gin":
            mlp = opts.pop("nn", None)
            return GINConv(MLP([in_dim, out_dim, out_dim]) if mlp is None else mlp, **opts)
    except TypeError as e:
        raise ModelError(f"{kind}: unsupported option ({e}); see the layer's docstring") from e
    raise ModelError(f"expected a layer kind in {LAYER_KINDS}, found {kind!r}")
