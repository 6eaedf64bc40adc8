"""What recording a neural run costs, computed before it is paid: receptive fields and the Trace
memory budget.

Receptive fields. Node j is in node i's field after k rounds when a path of at most k edges
leads from j to i (i itself included: every layer here keeps a root term). All fields are kept
as packed bitsets, node i's field ``R_k[i]`` holding bit j, and grown by frontiers: only the
bits a sender *gained* in the last round can add anything new to its receivers, so round k ORs
``D_{k-1}[s] = R_{k-1}[s] & ~R_{k-2}[s]`` into ``R_k[r]`` for the edges whose sender changed.
The first round sets one bit per edge; each later one costs at most ``E * ceil(N/64)`` word
operations (vectorised, never a Python loop over nodes or edges), against ``E * N`` for a
boolean product. Internally the bitsets are word-major (``[ceil(N/64), N]``, a column per node):
a round gathers, node by node, the node's own column and its senders' gains (edges sorted by
receiver once) and ORs each node's contiguous run with one ``reduceat`` along rows, which
gives every node's new field at once -- about twice as fast as the node-major layout, whose
reduction runs across rows. The gathers go into one buffer kept between calls (fresh memory
for them page-faulted more than the rounds' own work on a 1,000-node graph).

On demand by default. Fields depend on the graph's edges and the depth only -- not on the
layers, weights or features -- and a reader looks at one node's at a time, so a recorded
``run_stack`` stores none unless asked (``record_fields=True``): :func:`receptive_field` gives
the node a reader picks, after every round, by one breadth-first search
(:func:`explorer.nn.receptive.hop_distances`, ``O(depth * E)`` vectorised) on any graph size,
and the Neural page computes the clicked node's that way (cached per node). Every node's fields
cost ``E * N / 64`` word operations a round against the layers' ``E * d``: at 1,000 nodes about
half of a 2-layer run again, more than the whole recording costs otherwise.

Asked for, they are computed while their work (:func:`rf_work`) stays within
:func:`rf_budget` -- always up to :data:`RF_FLOOR` words (a few ms: every graph a page draws),
beyond that up to :data:`RF_SHARE` of the recorded numbers, never past :data:`RF_WORK_LIMIT`
-- and otherwise the run says so. :func:`field_extras` (what ``run_stack`` then stores per
step) keeps the last :data:`RF_CACHE_SIZE` graphs' results, keyed on the graph's own
(read-only) edge arrays: a rerun on the same Graph object -- another layer type, width or seed
-- does not pay for them again. The cached arrays are read-only and shared by the Traces that
hold them.

Trace budget. :func:`estimate_trace_bytes` predicts, from the sizes alone, the bytes a
recorded :func:`~explorer.nn.run_stack` Trace keeps (messages, aggregates, states and
per-edge extras); ``run_stack`` refuses with :class:`~explorer.errors.TooLargeError` when it
passes the budget (default :data:`explorer.trace.TRACE_BUDGET`), before anything is recorded,
and says how many layers fit and how large a :func:`neighbourhood_sample` would fit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph
from explorer.nn.receptive import hop_distances
from explorer.trace import Ragged

__all__ = ["receptive_fields", "receptive_field", "field_sizes", "field_members", "rf_work", "rf_budget",
           "estimate_trace_bytes", "check_trace_budget", "neighbourhood_sample", "RF_WORK_LIMIT",
           "RF_FLOOR", "RF_SHARE", "field_extras", "clear_field_cache", "RF_CACHE_SIZE"]

#: most 64-bit word operations ever spent on all-node receptive fields (about 0.1-0.3 s)
RF_WORK_LIMIT = 20_000_000
#: word operations always allowed (a few ms), whatever the size of the run
RF_FLOOR = 2_000_000
#: beyond the floor, fields may cost this share of the run (its recorded numbers, in words)
RF_SHARE = 0.25
_CHUNK = 1 << 18     # most words gathered at once by a round (2 MiB)


def _words(n: int) -> int:
    return (n + 63) // 64


def rf_work(graph: Graph, depth: int) -> int:
    """Upper bound of the word operations :func:`receptive_fields` needs: E for the first round
    (one bit per edge), E * ceil(N/64) for each later one."""
    e = int(graph.n_edges)
    return e + e * _words(graph.n_nodes) * (int(depth) - 1) if depth >= 1 else 0


def rf_budget(trace_bytes: int) -> int:
    """Word operations the receptive fields of a run recording ``trace_bytes`` bytes may take
    (see the module docstring)."""
    return min(RF_WORK_LIMIT, max(RF_FLOOR, int(RF_SHARE * trace_bytes / 4)))


def _bit(j: np.ndarray) -> np.ndarray:
    return np.left_shift(np.uint64(1), (j & 63).astype(np.uint64))


#: the gather buffer :func:`_or_rounds` reuses between calls (at most _CHUNK words plus the
#: fields of two rounds are kept): fresh memory for it on every call cost more page faults than
#: the rounds' own work on a 1,000-node graph
_SCRATCH: list[np.ndarray] = [np.empty(0, np.uint64)]
_SCRATCH_LOCK = threading.Lock()
_SCRATCH_KEEP = 1 << 20          # words (8 MiB): larger buffers are not kept


@contextlib.contextmanager
def _scratch(size: int):
    """A ``uint64`` buffer of at least ``size`` words: the shared one when no other thread
    holds it (kept when at most :data:`_SCRATCH_KEEP` words), else a fresh one."""
    if not _SCRATCH_LOCK.acquire(blocking=False):
        yield np.empty(size, np.uint64)
        return
    try:
        if _SCRATCH[0].size < size:
            buf = np.empty(size, np.uint64)
            if size <= _SCRATCH_KEEP:
                _SCRATCH[0] = buf
        else:
            buf = _SCRATCH[0]
        yield buf
    finally:
        _SCRATCH_LOCK.release()


def _segments(n: int, es: np.ndarray, er: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gather order of a round: per node i (all N, in order) one segment, ``N + i`` (its own
    column of ``[delta | reach]``) then the senders of its edges (``es``, ``er`` sorted by
    receiver). Returns ``(idx [E + N], ptr [N])`` with ptr the segments' starts."""
    deg = np.bincount(er, minlength=n)
    ptr = np.zeros(n, np.int64)
    np.cumsum(deg[:-1] + 1, out=ptr[1:])
    idx = np.empty(es.size + n, np.int64)
    own = np.zeros(idx.size, bool)
    own[ptr] = True
    idx[own] = np.arange(n, 2 * n)
    idx[~own] = es
    return idx, ptr


def _or_rounds(n: int, s: np.ndarray, r: np.ndarray, depth: int) -> list[np.ndarray]:
    """The fields after 1..depth rounds, **word-major**: ``uint64 [ceil(N/64), N]``, column i
    holding node i's field (each round gathers whole columns, and reduces contiguous runs).

    Round k >= 2 gathers, per node, its own column of the previous fields and the gains
    ``delta`` of its senders, and ORs each node's run with one ``reduceat``: the result is the
    new fields of every node at once (no copy of the old ones to OR into)."""
    w = _words(n)
    i = np.arange(n)
    reach = np.zeros((w, n), np.uint64)
    reach[i >> 6, i] = _bit(i)
    if depth < 1:
        return []
    # round 1 without a gather: sender s sets one bit (s) in its receiver's column
    nxt = reach.copy()
    np.bitwise_or.at(nxt.reshape(-1), (s >> 6) * n + r, _bit(s))
    out = [nxt]
    if depth == 1:
        return out
    delta, reach = nxt ^ reach, nxt
    order = np.argsort(r.astype(np.uint16) if n <= 1 << 16 else r, kind="stable")
    ss, rr = s[order], r[order]                  # edges grouped by receiver
    full = None
    with _scratch(w * (2 * n + min(ss.size + n, max(1, _CHUNK // max(w, 1))))) as buf:
        for k in range(depth - 1):
            keep = delta.any(axis=0)[ss]         # only senders that gained bits add anything
            if keep.all():
                full = full or _segments(n, ss, rr)
                idx, ptr = full
            else:
                idx, ptr = _segments(n, ss[keep], rr[keep])
            both = buf[:2 * w * n].reshape(w, 2 * n)      # gains, then own fields
            both[:, :n], both[:, n:] = delta, reach
            per = max(1, _CHUNK // max(w, 1))             # columns gathered at once
            nxt = np.empty((w, n), np.uint64)
            ends = np.append(ptr, idx.size)
            a = 0
            while a < n:                                  # whole nodes per chunk (one at least)
                b = max(int(np.searchsorted(ends, ends[a] + per, side="right")) - 1, a + 1)
                e0, e1 = int(ends[a]), int(ends[b])
                m = w * (e1 - e0)     # more than the buffer holds when one node's run is longer
                got = (buf[2 * w * n:2 * w * n + m] if 2 * w * n + m <= buf.size
                       else np.empty(m, np.uint64)).reshape(w, e1 - e0)
                np.take(both, idx[e0:e1], axis=1, out=got, mode="clip")   # idx < 2N by construction
                np.bitwise_or.reduceat(got, ptr[a:b] - e0, axis=1, out=nxt[:, a:b])
                a = b
            if k < depth - 2:                    # the last round's gains are never used
                delta = nxt ^ reach
            reach = nxt
            out.append(reach)
    return out


def receptive_fields(graph: Graph, depth: int, *, work_limit: int | None = None
                     ) -> list[np.ndarray] | None:
    """Every node's receptive field after k = 1..depth rounds, as packed bitsets.

    Returns:
        ``depth`` arrays ``uint64 [N, ceil(N/64)]``: bit ``j`` of row ``i`` (word ``j // 64``,
        bit ``j % 64``) is set when j reaches i in at most k edges; read them with
        :func:`field_sizes` and :func:`field_members`. ``None`` when :func:`rf_work` passes
        ``work_limit`` (default :data:`RF_WORK_LIMIT`).

    Example:
        >>> g = Graph.from_edges(3, [(0, 1), (1, 2)], directed=True)
        >>> [field_sizes(b).tolist() for b in receptive_fields(g, 2)]
        [[1, 2, 2], [1, 2, 3]]
    """
    if rf_work(graph, depth) > (RF_WORK_LIMIT if work_limit is None else work_limit):
        return None
    rounds = _or_rounds(graph.n_nodes, graph.senders, graph.receivers, int(depth))
    return [np.ascontiguousarray(b.T) for b in rounds]


def field_sizes(bits: np.ndarray) -> np.ndarray:
    """``int64 [N]``: how many nodes each packed field holds."""
    return np.bitwise_count(bits).sum(axis=1, dtype=np.int64)


def field_members(bits: np.ndarray, node: int) -> np.ndarray:
    """The sorted node ids in ``node``'s packed field (row ``node`` of ``bits``)."""
    n = bits.shape[0]
    flags = np.unpackbits(bits[node].view(np.uint8), bitorder="little")[:n]
    return np.flatnonzero(flags)


def receptive_field(graph: Graph, node: int, depth: int) -> list[np.ndarray]:
    """One node's receptive field after k = 1..depth rounds, on demand, for any graph size: one
    breadth-first search against the edges (:func:`explorer.nn.receptive.hop_distances`, the
    search the page's receptive-field panel draws), cost ``O(depth * E)`` vectorised.

    Returns:
        ``depth`` sorted ``int64`` arrays of node ids (``node`` itself included).

    Raises:
        ModelError: ``node`` outside ``0..N-1``.

    Example:
        >>> g = Graph.from_edges(3, [(0, 1), (1, 2)], directed=True)
        >>> [f.tolist() for f in receptive_field(g, 2, 2)]
        [[1, 2], [0, 1, 2]]
    """
    dist = hop_distances(graph, node, int(depth))
    return [np.flatnonzero((dist >= 0) & (dist <= k)) for k in range(1, int(depth) + 1)]


#: how many graphs' receptive fields :func:`field_extras` keeps
RF_CACHE_SIZE = 4
_RF_CACHE: "OrderedDict[tuple, tuple]" = OrderedDict()
_RF_LOCK = threading.Lock()


def clear_field_cache() -> None:
    """Forget every cached receptive field (the benchmark's first-call figures use it)."""
    with _RF_LOCK:
        _RF_CACHE.clear()


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def field_extras(graph: Graph, depth: int, *, work_limit: int | None = None,
                 set_limit: int = 300) -> list[dict[str, Any]] | None:
    """Per round k = 1..depth, the Trace extras of the receptive fields: ``"receptive_field"``
    ``int64 [N]`` field sizes and, when N <= ``set_limit``, ``"receptive_field_sets"`` (a
    :class:`~explorer.trace.Ragged` of ``N`` rows, row i node i's sorted field: it reads like a
    list of arrays, from one buffer instead of an array per node); ``None`` when :func:`rf_work`
    passes ``work_limit`` (as :func:`receptive_fields`). Cached per graph (see the module
    docstring); each call returns fresh dicts and Ragged objects over the shared read-only
    arrays."""
    if rf_work(graph, depth) > (RF_WORK_LIMIT if work_limit is None else work_limit):
        return None
    s, r, n = graph.senders, graph.receivers, graph.n_nodes
    key = (id(s), id(r), n, n <= set_limit)
    with _RF_LOCK:
        hit = _RF_CACHE.get(key)
        rows = None
        if hit is not None and hit[0] is s and hit[1] is r and len(hit[2]) >= depth:
            _RF_CACHE.move_to_end(key)
            rows = hit[2][:depth]
    if rows is None:
        rows = []
        for cols in _or_rounds(n, s, r, int(depth)):            # word-major: column = node
            sizes = _read_only(np.bitwise_count(cols).sum(axis=0, dtype=np.int64))
            sets = None
            if n <= set_limit:           # = [field_members(bits, i) for i in range(n)]
                bits = np.ascontiguousarray(cols.T)
                # bytes of 0/1 viewed as bool (flatnonzero's fast path), row by row; the
                # padding bits past N are never set
                flags = np.unpackbits(bits.view(np.uint8), axis=1, bitorder="little").view(bool)
                members = _read_only(np.flatnonzero(flags) % flags.shape[1])   # rows sorted
                offsets = np.zeros(n + 1, np.int64)
                np.cumsum(sizes, out=offsets[1:])
                sets = (members, _read_only(offsets))     # row i = node i's sorted field
            rows.append((sizes, sets))
        if not (s.flags.writeable or r.flags.writeable):     # edges that cannot change
            with _RF_LOCK:
                _RF_CACHE[key] = (s, r, rows)
                _RF_CACHE.move_to_end(key)
                while len(_RF_CACHE) > RF_CACHE_SIZE:
                    _RF_CACHE.popitem(last=False)
    out = []
    for sizes, sets in rows:
        ex: dict[str, Any] = {"receptive_field": sizes}
        if sets is not None:             # one Ragged per call over the shared read-only arrays
            ex["receptive_field_sets"] = Ragged.trusted(*sets)
        out.append(ex)
    return out


def _layer_bytes(kind: str, spec: dict[str, Any] | None, n: int, e: int, e_loop: int,
                 hidden: int, fanout: int | None, in_deg: np.ndarray) -> int:
    """Bytes one recorded layer keeps in its Step (float32 messages/aggregates, float64 states)."""
    if kind in ("gcn", "gat"):
        e_used = e - e_loop + n                    # loops replaced by one per node
    elif kind == "sage" and fanout is not None:
        e_used = int(np.minimum(in_deg, fanout).sum())
    else:
        e_used = e
    if kind in ("mpnn", "gn"):
        msg = agg = out = hidden
    else:
        heads, per = spec["heads"], spec["out"]
        out = per * (heads if spec["concat"] else 1)
        msg = agg = spec["in"] if kind in ("sage", "gin") else per * heads
    total = e_used * (4 * msg + 8) + n * (4 * agg + 8 * out)       # + edge ids
    if kind == "gcn":
        total += 4 * e_used                                         # coefficients
    elif kind == "gat":
        total += 4 * e_used * spec["heads"]                          # attention
    elif kind == "mpnn":
        total += 4 * n * hidden                                      # GRU input
    return total


def estimate_trace_bytes(graph: Graph, kind: str, specs: list[dict[str, Any]] | None, *,
                         layers: int, hidden: int, fanout: int | None = None,
                         fields: bool = False) -> int:
    """Bytes a recorded ``run_stack`` Trace will keep, from the sizes alone.

    Args:
        graph: the graph (N, E and its self-loops matter).
        kind: the layer kind; specs: per-layer sizes (:func:`explorer.nn.stack.conv_specs`
            form) for ``gcn``/``sage``/``gat``/``gin``, ``None`` for ``mpnn``/``gn``.
        layers, hidden: depth and width (``mpnn``/``gn``).
        fanout: SAGE neighbour sampling (at most this many edges into each node).
        fields: the run records every node's receptive field (``record_fields=True``): field
            sizes, 8 bytes a node a layer, and on graphs of up to 300 nodes the sets, counted at
            their bound ``8 * N * N`` a layer (at most 0.7 MB).

    Returns:
        The estimate in bytes (the input graph is not counted).
    """
    n, e = graph.n_nodes, graph.n_edges
    e_loop = int((graph.senders == graph.receivers).sum())
    in_deg = np.bincount(graph.receivers, minlength=n) if fanout is not None else None
    total = 0
    for k in range(layers):
        total += _layer_bytes(kind, None if specs is None else specs[k], n, e, e_loop, hidden,
                              fanout, in_deg)
    if fields:
        total += layers * 8 * n * (1 + (n if n <= 300 else 0))
    return total


def neighbourhood_sample(graph: Graph, max_nodes: int, *, seed: int = 0) -> Graph:
    """The subgraph induced by the neighbourhoods of random seed nodes, at most ``max_nodes``
    nodes: seeds are drawn in a seeded random order and each adds itself and its in- and
    out-neighbours until the budget is met, so sampled nodes keep their local structure.

    Node ids, labels, features, classes, positions and edge fields follow their nodes/edges.
    """
    n = graph.n_nodes
    if max_nodes < 1:
        raise ModelError(f"expected max_nodes >= 1, found {max_nodes}")
    if n <= max_nodes:
        return graph
    rng = np.random.default_rng(seed)
    nbrs = Graph(n, np.r_[graph.senders, graph.receivers], np.r_[graph.receivers, graph.senders],
                 directed=True)
    order = np.argsort(nbrs.receivers, kind="stable")
    src, ptr = nbrs.senders[order], np.r_[0, np.cumsum(np.bincount(nbrs.receivers, minlength=n))]
    keep = np.zeros(n, bool)
    count = 0
    for v in rng.permutation(n):
        group = np.unique(np.r_[v, src[ptr[v]:ptr[v + 1]]])
        group = group[~keep[group]][: max_nodes - count]
        keep[group] = True
        count += group.size
        if count >= max_nodes:
            break
    nodes = np.flatnonzero(keep)
    new_id = np.full(n, -1)
    new_id[nodes] = np.arange(nodes.size)
    emask = keep[graph.senders] & keep[graph.receivers]
    pick = lambda a: None if a is None else np.asarray(a)[nodes]  # noqa: E731
    tup = lambda a: None if a is None else tuple(a[i] for i in nodes)  # noqa: E731
    epick = lambda a: None if a is None else a[emask]  # noqa: E731
    return dataclasses.replace(graph, n_nodes=int(nodes.size), senders=new_id[graph.senders[emask]],
                               receivers=new_id[graph.receivers[emask]], x=pick(graph.x),
                               y=pick(graph.y), pos=pick(graph.pos), node_ids=tup(graph.ids),
                               labels=tup(graph.display_labels), roles=tup(graph.roles),
                               edge_attr=epick(graph.edge_attr), edge_weight=epick(graph.edge_weight),
                               name=f"{graph.name} (sample of {nodes.size} nodes)".strip())


def check_trace_budget(estimate: int, budget: int, *, layers: int, fit_layers: int,
                       n_nodes: int, what: str) -> None:
    """Raise :class:`TooLargeError` when ``estimate`` bytes pass ``budget``, saying what fits:
    ``fit_layers`` layers, or about how many sampled nodes (:func:`neighbourhood_sample`)."""
    if estimate <= budget:
        return
    nodes = max(1, int(n_nodes * budget / estimate * 0.9))
    layers_hint = (f"record at most {fit_layers} layer{'s' if fit_layers != 1 else ''}"
                   if 0 < fit_layers < layers else "record fewer layers")
    raise TooLargeError(
        f"recording {what} would keep about {estimate / 2**20:,.1f} MiB in the Trace, above the "
        f"budget of {budget / 2**20:,.1f} MiB (explorer.trace.TRACE_BUDGET); {layers_hint}, run "
        f"it unrecorded (record=False; the CLI without --trace), or record a sample of about "
        f"{nodes:,} nodes (explorer.nn.neighbourhood_sample(graph, {nodes}))",
        size=estimate, limit=budget)
