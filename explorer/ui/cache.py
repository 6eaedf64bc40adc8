"""Every cache of the app, in one module, bounded in entries, in bytes and in time.

Why not ``st.cache_data`` / ``st.cache_resource``: both record every Streamlit element call made
inside the cached function and replay it on a hit. A progress bar created by the page and
updated from inside the computation therefore breaks every *second* visit
(``CacheReplayClosureError``), and neither cache can refuse a value by its size. The caches here
are plain, thread-safe, process-wide LRU stores (:class:`Store`) that never touch Streamlit:

- a progress callback passed as an underscore argument (``_progress=``) is called while the
  value is computed and never on a hit, so it may update an element the page created outside;
- the key is made of the arguments whose names do not start with ``_`` (settings plus a short
  content key such as ``"sample:karate"`` or ``"upload:<sha1>"``); ``bytes`` arguments (uploaded
  files) are keyed by their SHA-256, never kept as keys;
- ``copy=True`` stores keep a pickle (each hit gets its own copy, as ``st.cache_data`` did) and
  count its exact length; ``copy=False`` stores (torch modules, Plotly figures: read-only and
  shared between sessions) count :func:`estimate_bytes` of the object;
- a value larger than the store's per-entry budget is returned but not kept (counted in
  ``Store.skipped``); a store evicts its least recently used entries beyond ``max_entries`` or
  ``max_bytes``, and entries older than ``ttl`` seconds;
- two sessions asking for the same missing key compute it once (the second waits);
- an exception is never cached.

Budgets (per store; the sum bounds what the caches can pin, about 1.05 GB):

==============  =======  =========  ==========  ======
store           entries  bytes      one entry   ttl
==============  =======  =========  ==========  ======
inputs          64       64 MB      16 MB       none
uploads         16       96 MB      24 MB       2 h
layouts         256      32 MB      8 MB        2 h
figures         48       192 MB     32 MB       1 h
steps           512      48 MB      2 MB        1 h
panels          1024     64 MB      2 MB        1 h
runs            64       256 MB     32 MB       1 h
sweeps          16       128 MB     32 MB       1 h
models          8        64 MB      16 MB       1 h
weights         8        64 MB      16 MB       2 h
==============  =======  =========  ==========  ======

Engines are looked up through their modules at call time (``nn.run_stack``), so a test can
count the calls; a rerun that changes only the step or the selected node calls no engine.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable

import numpy as np

from explorer.graph import Graph
from explorer.ui import turns

__all__ = ["Store", "Budget", "BUDGETS", "STORES", "cached", "estimate_bytes", "samples",
           "sample_graph", "upload_graph", "sample_model", "upload_model", "layout",
           "graph_figure", "clear", "stats", "exact_cost", "exact_within_budget",
           "EXACT_BUDGET", "belief_figure", "attention_figure", "update_latex", "message_table",
           "heatmaps_figure", "degree_figure", "chain_cost_figure"]

MB = 1 << 20


@dataclass(frozen=True)
class Budget:
    """How much one store may hold: entries, total bytes, bytes of one entry, age in seconds."""

    max_entries: int
    max_bytes: int
    item_bytes: int
    ttl: float | None = None


#: the documented budgets (see the module docstring)
BUDGETS: dict[str, Budget] = {
    "inputs": Budget(64, 64 * MB, 16 * MB),
    "uploads": Budget(16, 96 * MB, 24 * MB, ttl=2 * 3600),
    "layouts": Budget(256, 32 * MB, 8 * MB, ttl=2 * 3600),
    "figures": Budget(48, 192 * MB, 32 * MB, ttl=3600),
    # small per-step figures of a panel (the over-smoothing scatter and cursor charts): many
    # entries, each a few kB, kept apart so stepping a deep run never evicts a player figure
    "steps": Budget(512, 48 * MB, 2 * MB, ttl=3600),
    # what the player's detail panel draws per (run, step, node): small and many, kept apart so
    # stepping never evicts a run's big figures from "figures"
    "panels": Budget(1024, 64 * MB, 2 * MB, ttl=3600),
    "runs": Budget(64, 256 * MB, 32 * MB, ttl=3600),
    "sweeps": Budget(16, 128 * MB, 32 * MB, ttl=3600),
    "models": Budget(8, 64 * MB, 16 * MB, ttl=3600),
    "weights": Budget(8, 64 * MB, 16 * MB, ttl=2 * 3600),
}


# ---------------------------------------------------------------------- sizes
def estimate_bytes(obj: Any, *, _seen: set[int] | None = None, _depth: int = 0) -> int:
    """A lower-bound estimate of the memory ``obj`` holds: numpy ``nbytes``, torch
    ``numel * element_size``, ``len`` of bytes and strings, walked through containers, plain
    objects, torch modules and Plotly figures (each object counted once).

    >>> estimate_bytes(np.zeros((10, 10)))
    800
    """
    seen = _seen if _seen is not None else set()
    if id(obj) in seen or _depth > 60:
        return 0
    seen.add(id(obj))
    if obj is None or isinstance(obj, (bool, int, float, complex)):
        return 16
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return len(obj)
    if isinstance(obj, str):
        return len(obj)
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, np.generic):
        return int(obj.nbytes)
    rec = functools.partial(estimate_bytes, _seen=seen, _depth=_depth + 1)
    if isinstance(obj, dict):
        return 64 + sum(rec(k) + rec(v) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return 56 + sum(rec(v) for v in obj)
    mod = type(obj).__module__ or ""
    if mod.startswith("torch"):
        try:
            import torch
        except ImportError:  # pragma: no cover - torch is a dependency
            torch = None
        if torch is not None and isinstance(obj, torch.Tensor):
            return int(obj.numel() * obj.element_size())
        if torch is not None and isinstance(obj, torch.nn.Module):
            return 256 + sum(rec(t) for t in obj.state_dict(keep_vars=True).values())
    if mod.startswith("pyarrow") and isinstance(getattr(obj, "nbytes", None), int):
        return int(obj.nbytes)  # an Arrow table or array: its buffers
    if mod.startswith("plotly"):
        from plotly.basedatatypes import BaseFigure

        if isinstance(obj, BaseFigure):
            return (rec(obj._data) + rec(obj._layout)
                    + sum(rec(getattr(f, "_props", None)) for f in obj._frame_objs))
    fields = getattr(obj, "__dict__", None)
    total = 56
    if isinstance(fields, dict):
        total += sum(rec(v) for v in fields.values())
    for name in getattr(type(obj), "__slots__", ()) or ():
        total += rec(getattr(obj, name, None))
    return total


def _key_part(value: Any) -> Hashable:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("sha256", hashlib.sha256(value).hexdigest())
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_key_part(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cache keys must be plain settings, found {type(value).__name__}; pass "
                    "objects with an underscore-prefixed argument name and a content key")


# ---------------------------------------------------------------------- the store
class Store:
    """A thread-safe LRU cache bounded by entries, bytes, one entry's bytes and age.

    Args:
        name: what the store holds (for :func:`stats`).
        budget: its limits.
        copy: keep a pickle and return a fresh copy on every hit (data); False keeps the object
            itself and returns it shared (read-only resources: torch modules, figures).
        long: its values can take seconds to compute (engines, layouts, uploads): the page run
            hands its turn on meanwhile (:func:`explorer.ui.turns.set_aside`).
    """

    def __init__(self, name: str, budget: Budget, *, copy: bool = True, long: bool = False) -> None:
        self.name = name
        self.budget = budget
        self.copy = copy
        self.long = long
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._busy: dict[Hashable, threading.Event] = {}
        self.bytes = 0
        self.hits = self.misses = self.skipped = 0

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def _drop(self, key: Hashable) -> None:
        _, size, _ = self._entries.pop(key)
        self.bytes -= size

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        stamp, _, payload = entry
        ttl = self.budget.ttl
        if ttl is not None and time.monotonic() - stamp > ttl:
            self._drop(key)
            return False, None
        self._entries.move_to_end(key)
        return True, payload

    def _put(self, key: Hashable, size: int, payload: Any) -> None:
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (time.monotonic(), size, payload)
        self.bytes += size
        b = self.budget
        while self._entries and (len(self._entries) > b.max_entries or self.bytes > b.max_bytes):
            self._drop(next(iter(self._entries)))

    def _out(self, payload: Any) -> Any:
        return pickle.loads(payload) if self.copy else payload

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value under ``key``, computed by ``compute()`` (once) when missing."""
        while True:
            with self._lock:
                found, payload = self._lookup(key)
                if found:
                    self.hits += 1
                    return self._out(payload)
                waiting = self._busy.get(key)
                if waiting is None:
                    self._busy[key] = threading.Event()
                    self.misses += 1
                    break
            with turns.set_aside():  # idle meanwhile: the next page run may go
                waiting.wait(600)  # another session computes it; then look again
        try:
            with turns.set_aside() if self.long else contextlib.nullcontext():
                value = compute()
            if self.copy:
                payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                size = len(payload)
            else:
                payload, size = value, estimate_bytes(value)
            with self._lock:
                if size <= self.budget.item_bytes:
                    self._put(key, size, payload)
                else:
                    self.skipped += 1
            return self._out(payload) if self.copy else value
        finally:
            with self._lock:
                self._busy.pop(key).set()


#: every store, by name
STORES: dict[str, Store] = {name: Store(name, b, copy=name not in ("figures", "steps", "models", "panels"),
                                        long=name not in ("inputs", "figures", "steps", "panels"))
                            for name, b in BUDGETS.items()}


def cached(store: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Cache a function in the named store, keyed by its arguments not starting with ``_``
    (and by the function's name)."""
    target = STORES[store]

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            turns.give_way()  # a page run lets the steps executing now go first
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            key = (fn.__name__,) + tuple((n, _key_part(v)) for n, v in bound.arguments.items()
                                         if not n.startswith("_"))
            return target.get(key, lambda: fn(*bound.args, **bound.kwargs))

        wrapper.store = target  # type: ignore[attr-defined]
        return wrapper

    return decorate


def clear() -> None:
    """Forget every cached value (tests; the app never needs it)."""
    for s in STORES.values():
        s.clear()


def stats() -> dict[str, dict[str, int]]:
    """Entries, bytes, hits, misses and values too large to keep, per store."""
    return {n: {"entries": len(s), "bytes": s.bytes, "hits": s.hits, "misses": s.misses,
                "skipped": s.skipped} for n, s in STORES.items()}


# ---------------------------------------------------------------------- inputs
@cached("inputs")
def samples(kind: str | None = None) -> list:
    """The sample index entries of ``kind`` (see :func:`explorer.io.list_samples`)."""
    from explorer import io

    return io.list_samples(kind)


@cached("inputs")
def sample_graph(name: str) -> Graph:
    """A sample graph by name."""
    from explorer import io

    return io.load_graph(name)


@cached("uploads")
def upload_graph(data: bytes, filename: str) -> Graph:
    """An uploaded graph file (format from the file name's extension; keyed by content hash)."""
    from explorer import io

    return io.read_graph_bytes(data, filename)


@cached("inputs")
def sample_model(name: str) -> Any:
    """A sample graphical model by name (a factor graph)."""
    from explorer import pgm

    return pgm.load_model(name)


@cached("inputs")
def builtin_model(name: str) -> Any:
    """The built-in model used when the sample index has none (``"ising4"``)."""
    from explorer import pgm

    return pgm.ising_grid(4, 4, coupling=0.8, field=1.0, noise=0.2, seed=0)[0]


@cached("uploads")
def upload_model(data: bytes, filename: str) -> Any:
    """An uploaded graphical model (UAI, BIF, XMLBIF; keyed by content hash)."""
    from explorer import pgm

    return pgm.read_model_bytes(data, filename)


# ---------------------------------------------------------------------- layouts and figures
@cached("layouts")
def layout(_graph: Graph, key: str, method: str = "auto", seed: int = 0) -> np.ndarray:
    """Node positions ``[N, 2]`` for the graph named by ``key``; computed once per graph."""
    from explorer.viz import layout as viz_layout

    return viz_layout.compute_layout(_graph, method=method, seed=seed)


def layout_names() -> list[str]:
    """The layout methods the app offers ("auto" first)."""
    from explorer.viz.layout import LAYOUTS

    return list(LAYOUTS)


@cached("figures")
def graph_figure(_graph: Graph, key: str, _pos: np.ndarray, pos_key: str,
                 selected: int | None = None, by_label: bool = True) -> Any:
    """The plain drawing of a graph (no run yet), coloured by the class ``y`` when it has one
    and ``by_label``. Read-only: shared between sessions."""
    from explorer.viz import graph_figure as build

    color = _graph.y if by_label and _graph.y is not None else None
    return build(_graph, _pos, selected=selected, color=color,
                 color_title="class y" if color is not None else None)


@cached("figures")
def trace_figure(_trace: Any, tkey: str, _pos: np.ndarray, pkey: str, color_by: str,
                 selected: int | None, step: int, frame_ms: int = 700, width: int | None = None,
                 height: int | None = None) -> Any:
    """The animated view of a run (one frame per step). Read-only: shared between sessions.

    ``width`` and ``height``: the plot size (px) the labels are planned for (they never collide
    at that size; a larger plot only gives them more room)."""
    from explorer import viz

    return viz.trace_figure(_trace, _pos, color_by=color_by, selected=selected, step=step,
                            frame_ms=frame_ms, width=width, height=height)


@cached("figures")
def convergence_figure(_trace: Any, tkey: str, _exact: Any, with_exact: bool) -> Any:
    """A BP run's convergence chart (:func:`explorer.viz.convergence_figure`): it does not
    depend on the step, so it is built once per run, not on every page run. ``tkey`` names the
    run (its source, settings and evidence, which also fix the exact marginals). Read-only:
    shared between sessions."""
    from explorer import viz

    return viz.convergence_figure(_trace, _exact if with_exact else None)


@cached("figures")
def field_figure(_graph: Graph, key: str, _pos: np.ndarray, pos_key: str, node: int, k: int,
                 _dist: np.ndarray, title: str) -> Any:
    """The graph coloured by hops to ``node`` (the receptive-field panel; ``_dist`` is that
    node's hop distances within ``k``, -1 beyond). Read-only: shared between sessions."""
    from explorer import viz

    colour = np.where(_dist >= 0, _dist, np.nan).astype(float)
    return viz.graph_figure(_graph, _pos, color=colour, color_title="hops to node",
                            selected=int(node), height=420, title=title)


@cached("figures")
def tree_figure(_tree: Any, key: str, node: int, k: int, _labels: Any, _hops: np.ndarray) -> Any:
    """The computation tree of ``node`` to depth ``k`` (see :func:`explorer.viz.tree_view.tree_figure`).
    Read-only: shared between sessions."""
    from explorer.viz.tree_view import tree_figure as build

    return build(_tree, _labels, hops=_hops, height=420)


# ---------------------------------------------------------------------- the detail panel
# A step of the player reruns only its detail panel; what that panel draws depends on the run,
# the step and the node alone, so it is built once per (run, step, node) and shared between
# sessions (read-only), instead of on every step of every session (issue 10: a step under load).
@cached("panels")
def belief_figure(_trace: Any, tkey: str, step: int, node: int, _exact: Any,
                  exact_key: tuple[str, ...] | None) -> Any:
    """The belief bars of ``node`` at ``step`` (:func:`explorer.viz.belief_bars`) of the run
    named ``tkey``; ``exact_key``: the node's exact marginal, each value exactly (``float.hex``; None: not known),
    so a run drawn with and without the exact answer never share an entry."""
    from explorer import viz

    return viz.belief_bars(_trace, step, node, _exact)


@cached("panels")
def attention_figure(_trace: Any, tkey: str, step: int, node: int) -> Any:
    """GAT attention into ``node`` at ``step`` (:func:`explorer.viz.attention_figure`) of the
    run named ``tkey``."""
    from explorer import viz

    return viz.attention_figure(_trace, step, node)


@cached("panels")
def update_latex(_trace: Any, tkey: str, step: int, node: int, lecture: bool) -> str:
    """The node's update formula at ``step`` (:func:`explorer.viz.node_update_latex`) of the
    run named ``tkey``."""
    from explorer import viz

    return viz.node_update_latex(_trace, step, node, lecture=lecture)


@cached("panels")
def message_table(_trace: Any, tkey: str, step: int, node: int) -> Any:
    """The messages into ``node`` at ``step`` of the run named ``tkey``, as the Arrow table the
    detail panel draws (:func:`explorer.ui.player.message_table`; None: no message arrived).
    Read-only: shared between sessions."""
    from explorer.ui import player

    return player.message_table(_trace, step, node)


@cached("panels")
def heatmaps_figure(_m: dict, key: str, _labels: list, selected: int) -> Any:
    """The matrix page's heatmaps of R, X, Θ and X' (:func:`explorer.viz.heatmaps_figure`)
    with ``selected``'s row marked; ``key`` names the matrices (source, operator, width, seed).
    One per selected node, so kept with the panels. Read-only: shared between sessions."""
    from explorer import viz

    return viz.heatmaps_figure(_m["R"], _m["X"], _m["Theta"], _m["Xp"], node_labels=_labels,
                               selected=selected)


@cached("panels")
def chain_cost_figure(_series: dict, k: int, n_max: int, current: int) -> Any:
    """The elimination page's k^n against n·k² chart (:func:`explorer.viz.ve_charts.cost_series_figure`)
    of ``chain_costs(k, n_max)`` (``_series``) with chain length ``current`` marked."""
    from explorer.viz import ve_charts

    return ve_charts.cost_series_figure(_series, current=current)


@cached("figures")
def degree_figure(_graph: Graph, key: str) -> Any:
    """The graphs page's degree histogram (:func:`explorer.ui.graph_info.degree_figure`) of the
    graph named ``key``. Read-only: shared between sessions."""
    from explorer.ui import graph_info

    return graph_info.degree_figure(_graph)


def key(*parts: Any) -> str:
    """A cache key for a run: the source key and every parameter, joined."""
    return "|".join(str(p) for p in parts)


# ---------------------------------------------------------------------- engines
@cached("runs")
def bp_trace(_fg: Any, source: str, mode: str, updates: str, damping: float, tol: float,
             max_iter: int, seed: int, evidence: tuple[tuple[int, int], ...],
             logdomain: bool = False) -> Any:
    """A recorded belief-propagation run (see :func:`explorer.pgm.run_bp`)."""
    from explorer import pgm

    return pgm.run_bp(_fg, mode=mode, updates=updates, damping=damping, tol=tol,
                      max_iter=max_iter, seed=seed, evidence=dict(evidence),
                      logdomain=logdomain)


@cached("runs")
def exact(_fg: Any, source: str, evidence: tuple[tuple[int, int], ...]) -> dict:
    """Exact marginals, MAP and log Z (see :func:`explorer.pgm.exact_inference`)."""
    from explorer import pgm

    return pgm.exact_inference(_fg, evidence=dict(evidence))


#: the most work (table entries touched, see :func:`exact_cost`) the Belief propagation page
#: spends on exact inference by itself; above it the page says it skipped (the CLI has no budget)
EXACT_BUDGET = 10_000_000
#: the fixed cost of one elimination step in entry-equivalents (Python overhead per step)
STEP_COST = 500


def _engine_passes(n_vars: int) -> int:
    """How many elimination passes ``pgm.exact_inference`` makes: a clique-tree engine two
    calibrations (sum and max) of two sweeps each; the per-variable baseline one sum and one
    max elimination per variable."""
    from explorer import pgm

    module = getattr(pgm.exact_inference, "__module__", "") or ""
    return 4 if module.endswith("junction") else 2 * max(n_vars, 1)


def exact_cost(fg: Any, evidence: tuple[tuple[int, int], ...] = (),
               budget: float | None = None) -> float:
    """An estimate of the work of exact inference on ``fg``: the table entries of every step of
    a greedy min-degree elimination order (plus :data:`STEP_COST` per step), times the number of
    passes the engine makes. Linear-logarithmic in the model; stops counting once past
    ``budget`` (the result is then some value above it).

    >>> from explorer import pgm
    >>> exact_cost(pgm.load_model("asia")) > 0
    True
    """
    import heapq

    observed = {int(v) for v, _ in evidence}
    cards = fg.cards
    n = len(cards)
    passes = _engine_passes(n)
    free = [v for v in range(n) if v not in observed]
    if budget is not None and passes * len(free) * STEP_COST > budget:
        return float(passes * len(free) * STEP_COST)
    adj: dict[int, set[int]] = {v: set() for v in free}
    for f in fg.factors:
        scope = [v for v in f.scope if v not in observed]
        for a in scope:
            adj[a].update(b for b in scope if b != a)
    heap = [(len(adj[v]), v) for v in free]
    heapq.heapify(heap)
    done: set[int] = set()
    total = 0.0
    while heap:
        deg, v = heapq.heappop(heap)
        if v in done or deg != len(adj[v]):
            continue  # stale entry
        done.add(v)
        nb = adj.pop(v)
        entries = float(cards[v])
        for u in nb:
            entries *= cards[u]
        total += passes * (entries + STEP_COST)
        if budget is not None and total > budget:
            return total
        for u in nb:
            adj[u].discard(v)
            adj[u].update(w for w in nb if w != u)
            heapq.heappush(heap, (len(adj[u]), u))
    return total


def exact_within_budget(fg: Any, source: str, evidence: tuple[tuple[int, int], ...],
                        budget: float = EXACT_BUDGET) -> tuple[dict | None, str | None]:
    """Exact inference for a page that starts it by itself: ``(result, None)``, or
    ``(None, why it was skipped)`` when :func:`exact_cost` is over ``budget`` or the engine
    refuses the model as too large. Other errors propagate."""
    from explorer.errors import TooLargeError

    cost = exact_cost(fg, evidence, budget)
    if cost > budget:
        return None, (f"Exact marginals skipped: exact inference on this model would touch "
                      f"about {cost:,.0f} table entries or more, over this page's budget of "
                      f"{budget:,.0f}, so the page compares BP with nothing. For the exact "
                      "answer run `python -m explorer exact` on the file.")
    try:
        return exact(fg, source, evidence), None
    except TooLargeError as e:
        return None, f"Exact marginals skipped: {e}"


@cached("runs")
def ve_trace(_fg: Any, source: str, evidence: tuple[tuple[int, int], ...], mode: str,
             query: str | None) -> Any:
    """A recorded variable-elimination run (one step per eliminated variable)."""
    from explorer import pgm

    return pgm.variable_elimination(_fg, evidence=dict(evidence), mode=mode, query=query)


@cached("runs")
def gnn_trace(_graph: Graph, source: str, layer: str, layers: int, hidden: int, heads: int,
              seed: int, features: str, weights_key: str | None = None, _weights: Any = None,
              readout: str | None = None) -> Any:
    """A recorded neural message-passing stack (see :func:`explorer.nn.run_stack`)."""
    from explorer import nn

    return nn.run_stack(_graph, layer=layer, layers=layers, hidden=hidden, heads=heads, seed=seed,
                        features=features, weights=_weights, readout=readout)


@cached("runs")
def wl_trace(_graph: Graph, source: str) -> Any:
    """1-WL colour refinement of one graph, recorded."""
    from explorer.nn import wl

    return wl.wl_refine(_graph)


@cached("runs")
def wl_pair(_a: Graph, _b: Graph, source: str) -> tuple[list, bool]:
    """Joint 1-WL colours of two graphs per round, and whether 1-WL tells them apart."""
    from explorer.nn import wl

    return wl.wl_colors([_a, _b]), not wl.wl_equivalent(_a, _b)


@cached("sweeps")
def sweep(_graph: Graph, source: str, layer: str, depth: int, hidden: int, remedy: str,
          device: str, seed: int, _progress: Callable[[int, int], None] | None = None) -> Any:
    """An over-smoothing depth sweep with the features of every layer kept, MADGap's hop
    thresholds scaled to the graph when no pair is 8 hops apart (``params["mad_gap_hops"]``).

    ``_progress(done, total)`` is called while the sweep runs, never on a cache hit; it may
    update a Streamlit element the page created (this cache does not record element calls).
    """
    from explorer import diagnostics

    return diagnostics.depth_sweep(_graph, layer=layer, depth=depth, hidden=hidden, remedy=remedy,
                                   device=device, seed=seed, progress=_progress,
                                   keep_features=True, adapt_hops=True)


@cached("models")
def train(_graph: Graph, source: str, layer: str, layers: int, hidden: int, epochs: int,
          lr: float, seed: int, _progress: Callable[..., None] | None = None) -> Any:
    """A node classifier trained on the graph's labels ``y`` (holds a torch module: shared).

    ``_progress(epoch, epochs, loss, acc)`` is called while training, never on a cache hit.
    """
    from explorer.nn import train as nn_train

    return nn_train.train_node_classifier(_graph, layer=layer, layers=layers, hidden=hidden,
                                          epochs=epochs, lr=lr, seed=seed, progress=_progress)


@cached("weights")
def pyg_weights(data: bytes, filename: str) -> dict:
    """A PyG state dict read from an uploaded ``.pt`` file (keyed by content hash)."""
    from explorer import nn

    # bounded before torch reads it (size, zip directory), every tensor checked after
    return nn.load_pyg_state_dict(data, filename=filename)


@cached("inputs")
def chain_demo(n: int, k: int) -> dict:
    """The essay's chain with both costs counted (see :func:`explorer.pgm.chain_demo`)."""
    from explorer import pgm

    return pgm.chain_demo(n, k)


@cached("runs")
def gcn_matrices(_graph: Graph, source: str, hidden: int, seed: int, features: str) -> dict:
    """R, X, Θ, b and X' of one GCN layer (see :mod:`explorer.ui.matrix_form`)."""
    from explorer.ui.matrix_form import gcn_matrices as compute

    return compute(_graph, hidden=hidden, seed=seed, features=features)


@cached("inputs")
def multiset_demo() -> list:
    """Neighbourhood multisets that sum separates and mean or max do not."""
    from explorer.nn import wl

    return wl.multiset_demo()


@cached("runs")
def sweep_trace(_sweep: Any, key: str, _graph: Graph) -> Any:
    """A depth sweep as a Trace with one step per layer (see ``sweep_to_trace``)."""
    from explorer import diagnostics

    return diagnostics.sweep_to_trace(_sweep, _graph)


# ---------------------------------------------------------------------- features branch wrappers
@cached("runs")
def operator_layer(_graph: Graph, source: str, kind: str, hidden: int, seed: int,
                   features: str) -> dict:
    """X' = R X Θ for one reference operator, matrix and message form
    (see :func:`explorer.nn.operators.operator_layer`)."""
    from explorer.nn import operators

    return operators.operator_layer(_graph, kind, hidden=hidden, seed=seed, features=features)


@cached("runs")
def operator_patterns(_graph: Graph, source: str) -> list:
    """The sparsity check of every reference operator on one graph, one dict per operator."""
    from explorer.nn import operators

    return [{"kind": k, **operators.sparsity_check(_graph, operators.reference_operator(_graph, k))}
            for k in operators.OPERATORS]


@cached("inputs")
def graph_dataset(name: str, seed: int = 0) -> tuple:
    """A graph-classification set, ``(graphs, labels)`` (see :func:`explorer.nn.readout.load_dataset`)."""
    from explorer.nn import readout

    return readout.load_dataset(name, seed)


@cached("runs")
def relabel_demo(_graph: Graph, source: str, perm: tuple[int, ...], readout: str, layer: str,
                 layers: int, hidden: int, seed: int, features: str) -> dict:
    """A readout and a concatenation before and after relabelling the nodes."""
    import numpy as _np

    from explorer.nn import readout as nn_readout

    return nn_readout.relabel_demo(_graph, _np.array(perm, dtype=_np.int64), readout=readout, layer=layer,
                                   layers=layers, hidden=hidden, seed=seed, features=features)


@cached("runs")
def receptive_info(_graph: Graph, key: str, node: int, k: int, draw_limit: int) -> dict:
    """Hop distances (within k), field sizes and tree level sizes per round, and the computation
    tree of depth k when it has at most ``draw_limit`` nodes (else None)."""
    from explorer.nn import receptive

    dist = receptive.hop_distances(_graph, node, k)
    sizes = [int(s) for s in receptive.tree_level_sizes(_graph, node, k)]
    fields = [int(((dist >= 0) & (dist <= d)).sum()) for d in range(k + 1)]
    tree = receptive.computation_tree(_graph, node, k) if sum(sizes) <= draw_limit else None
    return {"dist": dist, "sizes": sizes, "fields": fields, "field": fields[-1], "tree": tree}


@cached("runs")
def field_sizes(_graph: Graph, key: str, node: int, depth: int) -> list[int]:
    """How many nodes ``node`` has heard from after 1..``depth`` rounds, itself included: its
    receptive field computed on demand, one BFS (see :func:`explorer.nn.receptive_field`)."""
    from explorer import nn

    return [int(f.size) for f in nn.receptive_field(_graph, node, depth)]


@cached("runs")
def pair_embeddings(_a: Graph, _b: Graph, key: str, features: str, seed: int) -> list:
    """GIN / mean / max GNN graph embeddings of two graphs (see
    :func:`explorer.nn.readout.pair_embeddings`)."""
    from explorer.nn import readout

    return readout.pair_embeddings(_a, _b, features=features, seed=seed)


# ---------------------------------------------------------------------- clique tree, MAP, chain
# (pgmviews: the Clique tree page, the MAP panel and the VE page's panels)
@cached("runs")
def clique_tree_run(_fg: Any, source: str, evidence: tuple[tuple[int, int], ...],
                    mode: str) -> dict:
    """The clique tree of a model (``tree``, a :class:`~explorer.pgm.cliques.CliqueTree`) and its
    recorded calibration (``trace``; see :func:`explorer.pgm.calibrate`)."""
    from explorer import pgm

    tree = pgm.clique_tree(_fg, evidence=dict(evidence))
    trace = pgm.calibrate(_fg, evidence=dict(evidence), mode=mode, record=True, tree=tree)
    return {"tree": tree, "trace": trace}


@cached("runs")
def ve_queries(_fg: Any, source: str, evidence: tuple[tuple[int, int], ...], mode: str,
               names: tuple[str, ...]) -> dict:
    """``{VAR: [p per state]}`` by one variable elimination per named variable (the cross-check
    of the clique tree), scaled to sum 1 (max-marginals too, in max mode)."""
    from explorer import pgm

    out = {}
    for name in names:
        t = pgm.variable_elimination(_fg, evidence=dict(evidence), mode=mode, query=name)
        table = np.asarray(t.result["query"]["table"], dtype=float)
        out[name] = (table / table.sum()).tolist()
    return out


@cached("runs")
def chain_costs(k: int, n_max: int) -> dict:
    """``k^n`` against ``n·k^2`` for n = 2..n_max, counted analytically (see
    :func:`explorer.pgm.chain.cost_series`)."""
    from explorer.pgm import chain

    return chain.cost_series(k, n_max)


@cached("runs")
def chain_two_pass(n: int, k: int, observe: int | None) -> dict:
    """The chain demo whose trace's backward pass observes ``Xn = observe`` (see
    :func:`explorer.pgm.chain_demo`)."""
    from explorer import pgm

    return pgm.chain_demo(n, k, observe=observe)


@cached("runs")
def tree_two_pass(evidence: tuple[tuple[int, int], ...]) -> dict:
    """The small tree-shaped Bayesian network (``model``) and its recorded clique-tree
    calibration (``trace``; see :func:`explorer.pgm.chain.tree_model`)."""
    from explorer import pgm
    from explorer.pgm import chain

    fg = chain.tree_model()
    return {"model": fg, "trace": pgm.calibrate(fg, evidence=dict(evidence), record=True)}


# ---------------------------------------------------------------------- graph-network block, aggregators
@cached("runs")
def gn_layers(_graph: Graph, source: str, layers: int, hidden: int, seed: int, features: str,
              aggr: str) -> dict:
    """The six sub-steps of every GN block (see :func:`explorer.nn.gn_steps.gn_layers`)."""
    from explorer.nn import gn_steps

    return gn_steps.gn_layers(_graph, layers=layers, hidden=hidden, seed=seed, features=features, aggr=aggr)


@cached("runs")
def mpnn_detail(_graph: Graph, source: str, node: int, step: int, steps: int, hidden: int, seed: int,
                features: str) -> dict:
    """One MPNN step at one node: A(e_ij), messages, GRU gates (see
    :func:`explorer.nn.gn_steps.mpnn_node_detail`)."""
    from explorer.nn import gn_steps

    return gn_steps.mpnn_node_detail(_graph, node, step=step, steps=steps, hidden=hidden, seed=seed,
                                     features=features)


@cached("runs")
def shuffle_check(_graph: Graph, source: str, node: int, layer: str, aggr: str, hidden: int, seed: int,
                  features: str, shuffle_seed: int) -> dict:
    """A node's aggregate before and after shuffling its neighbours (see
    :func:`explorer.nn.aggregation.shuffle_check`)."""
    from explorer.nn import aggregation

    return aggregation.shuffle_check(_graph, node, layer=layer, aggr=aggr, hidden=hidden, seed=seed,
                                     features=features, shuffle_seed=shuffle_seed)


@cached("runs")
def sampled_layers(_graph: Graph, source: str, fanout: int, seed: int, layers: int, hidden: int,
                   features: str) -> dict:
    """The edges each sampling GraphSAGE layer read (see :func:`explorer.nn.aggregation.sampled_layers`)."""
    from explorer.nn import aggregation

    return aggregation.sampled_layers(_graph, fanout=fanout, seed=seed, layers=layers, hidden=hidden,
                                      features=features)


@cached("runs")
def renumber_check(_graph: Graph, source: str, layer: str, aggr: str, hidden: int, seed: int,
                   features: str) -> dict:
    """One layer on the graph and on a renumbered copy (see :func:`explorer.nn.permutation_check`)."""
    from explorer import nn

    opts = {"aggr": aggr} if layer == "sage" else {}
    return nn.permutation_check(_graph, layer=layer, seed=seed, features=features, readout="sum",
                                layers=1, hidden=hidden, **opts)


# ---------------------------------------------------------------------- inputs added by issue 12.10
@cached("uploads")
def upload_evidence(data: bytes, filename: str) -> dict[int, int]:
    """An uploaded UAI ``.evid`` file as ``{variable index: state index}`` (see
    :func:`explorer.pgm.read_evidence_file`; keyed by content hash). Messages name the
    uploaded file, not the temporary copy the reader is given."""
    import tempfile
    from pathlib import Path

    from explorer import pgm
    from explorer.errors import InputFormatError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(filename).name or "evidence.evid")
        path.write_bytes(data)
        try:
            return pgm.read_evidence_file(path)
        except InputFormatError as e:
            raise InputFormatError(str(e).replace(str(path), Path(filename).name)) from None


@cached("inputs")
def sbm_graph(sizes: tuple[int, ...], p_in: float, p_out: float, seed: int) -> Graph:
    """A stochastic block model (see :func:`explorer.io.generators.stochastic_block_model`),
    keyed by its parameters."""
    from explorer.io.generators import stochastic_block_model

    return stochastic_block_model(list(sizes), p_in, p_out, seed)
