"""Tensor helpers shared by the layers: scatter aggregation, self-loop handling, sampling, inits.

Everything here is vectorised torch (``index_add_`` / ``scatter_reduce_``); nothing loops over
nodes or edges in Python. Edge convention as everywhere: ``edge_index[0]`` sends, ``edge_index[1]``
receives (PyG's ``flow="source_to_target"``).
"""

from __future__ import annotations

import math
from typing import Any, MutableMapping

import torch
from torch import Tensor

from explorer.errors import ModelError

__all__ = ["scatter", "remaining_self_loops", "sample_incoming", "glorot_", "uniform_",
           "check_inputs", "keep", "Recorder", "AGGREGATIONS"]

#: What a layer writes into when recording: a plain dict of detached tensors (see :func:`keep`).
#: Keys used: "edge_index" [2, E'], "edge_ids" [E'] (-1 for added self-loops), "messages",
#: "aggregates", "states", and per-layer extras ("edge_weight", "attention", ...).
Recorder = MutableMapping[str, Any]

AGGREGATIONS = ("sum", "add", "mean", "max", "min")


def keep(recorder: Recorder | None, **values: Tensor | None) -> None:
    """Store detached ``values`` in ``recorder`` (no-op when it is ``None``).

    Detached, not copied: every tensor a layer records is one it created in that forward and
    never modifies afterwards (no layer here works in place on its outputs), so sharing its
    memory records the same numbers at no cost. A copy would double the recording's memory
    traffic (messages are ``[E, d]``).
    """
    if recorder is None:
        return
    for k, v in values.items():
        recorder[k] = None if v is None else v.detach()


def scatter(src: Tensor, index: Tensor, n: int, reduce: str = "sum") -> Tensor:
    """Aggregate rows of ``src`` into ``n`` groups given by ``index``, as PyG's ``scatter``.

    ``sum``/``add`` adds; ``mean`` divides by ``max(count, 1)``; ``max``/``min`` take the
    element-wise extreme. An empty group (a node nothing sends to) gets 0 in every mode.

    Shapes:
        src ``[E, *]``, index ``[E]`` with values in ``[0, n)`` -> ``[n, *]``.
    """
    out = src.new_zeros((n,) + tuple(src.shape[1:]))
    if reduce in ("sum", "add", "mean"):
        out.index_add_(0, index, src)
        if reduce == "mean":
            cnt = torch.bincount(index, minlength=n).clamp_(min=1).to(src.dtype)
            out = out / cnt.view((-1,) + (1,) * (src.dim() - 1))
        return out
    if reduce in ("max", "min"):
        idx = index.view((-1,) + (1,) * (src.dim() - 1)).expand_as(src)
        return out.scatter_reduce_(0, idx, src, reduce="a" + reduce, include_self=False)
    raise ModelError(f"expected an aggregation in {AGGREGATIONS}, found {reduce!r}")


def remaining_self_loops(edge_index: Tensor, n: int, edge_weight: Tensor | None = None,
                         fill_value: float = 1.0) -> tuple[Tensor, Tensor, Tensor | None]:
    """Remove every self-loop, then append exactly one loop per node (PyG's order and rule).

    When ``edge_weight`` is given, a node that already had a loop keeps that loop's weight (the
    last one listed wins) and the others get ``fill_value``; when it is ``None`` no weights are
    returned (PyG then uses 1 everywhere, so GCN's ``improved`` has no effect without weights).

    Returns:
        ``(edge_index', edge_ids, edge_weight')``: ``[2, E_nl + n]``, ``[E_nl + n]`` (the original
        edge id of each kept edge, -1 for the appended loops), ``[E_nl + n]`` or ``None``.
    """
    mask = edge_index[0] != edge_index[1]
    ids = torch.nonzero(mask).view(-1)
    loops = torch.arange(n, device=edge_index.device)
    out_index = torch.cat([edge_index[:, ids], loops.view(1, -1).expand(2, -1)], dim=1)
    out_ids = torch.cat([ids, torch.full((n,), -1, dtype=ids.dtype, device=ids.device)])
    out_w = None
    if edge_weight is not None:
        loop_w = edge_weight.new_full((n,), fill_value)
        inv = ~mask
        loop_w[edge_index[0][inv]] = edge_weight[inv]
        out_w = torch.cat([edge_weight[ids], loop_w])
    return out_index, out_ids, out_w


def sample_incoming(edge_index: Tensor, n: int, fanout: int, seed: int) -> Tensor:
    """Seeded neighbour sampling: keep at most ``fanout`` incoming edges per receiver.

    Each edge gets a uniform random key from a generator seeded with ``seed``; within each
    receiver the ``fanout`` smallest keys survive (sampling without replacement).

    Returns:
        ``[E_kept]`` the ids of the kept edges, ascending (original edge order preserved).
    """
    e = edge_index.shape[1]
    if e == 0:
        return torch.zeros(0, dtype=torch.long, device=edge_index.device)
    gen = torch.Generator().manual_seed(int(seed))
    key = torch.rand(e, generator=gen, dtype=torch.float64).to(edge_index.device)
    key = key + edge_index[1].to(torch.float64)
    order = torch.argsort(key)
    recv = edge_index[1][order]
    start = torch.cumsum(torch.bincount(recv, minlength=n), 0) - torch.bincount(recv, minlength=n)
    rank = torch.arange(e, device=edge_index.device) - start[recv]
    return torch.sort(order[rank < fanout]).values


def glorot_(t: Tensor) -> Tensor:
    """PyG's glorot: uniform in ``+-sqrt(6 / (fan_in + fan_out))`` over the last two dims."""
    a = math.sqrt(6.0 / (t.size(-2) + t.size(-1)))
    with torch.no_grad():
        return t.uniform_(-a, a)


def uniform_(t: Tensor, fan_in: int) -> Tensor:
    """PyG's 'uniform' init: uniform in ``+-1/sqrt(fan_in)``."""
    b = 1.0 / math.sqrt(max(fan_in, 1))
    with torch.no_grad():
        return t.uniform_(-b, b)


def check_inputs(x: Tensor, edge_index: Tensor, in_channels: int | None, layer: str) -> None:
    """Raise :class:`ModelError` for inputs PyG would also refuse, with what to change."""
    if x.dim() != 2:
        raise ModelError(f"{layer}: expected node features x of shape [N, F] (got {x.dim()} dimensions)")
    if in_channels is not None and x.shape[1] != in_channels:
        raise ModelError(f"{layer}: expected {in_channels} input features per node, found {x.shape[1]}; "
                         "build the layer with in_channels matching the data")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ModelError(f"{layer}: expected edge_index of shape [2, E] (got {tuple(edge_index.shape)})")
    if edge_index.dtype not in (torch.long, torch.int):
        raise ModelError(f"{layer}: expected an integer edge_index, found {edge_index.dtype}")
    if edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= x.shape[0]):
        bad = int(edge_index.max() if edge_index.max() >= x.shape[0] else edge_index.min())
        raise ModelError(f"{layer}: edge_index holds node {bad}, outside the valid range "
                         f"[0, {x.shape[0] - 1}] for {x.shape[0]} nodes")
