"""``python -m explorer bench gnn``: forward time of our layers, unrecorded and recorded, against
PyG's same layer in the same process, and what recording a whole run costs.

Table 1 (one layer): a random directed graph with 10,000 nodes, 100,000 edges and d = 64
features (``--quick``: 1,000 / 10,000 / 16). Times are the best of interleaved repeated forwards
under ``torch.no_grad()`` on CPU; ratios are ours / PyG (PyG rows appear only when it is
installed).

Table 2 (recording): ``run_stack`` with ``record=True`` against ``record=False`` for every layer
type, torch on one thread, 2 layers of width 16, on random directed graphs of 1,000, 10,000 and
100,000 nodes with 10 edges per node (100,000 only without ``--quick``; MPNN, whose edge network
builds a 16 x 16 matrix per edge, stops at 10,000). Columns, best-of CPU times of the process:
``unrec``, ``rec`` and their ratio, runs repeated on the same Graph; ``1st unrec``, ``1st rec``
and their ratio, each run on a Graph never run before (fresh copies of the edge arrays, made
outside the timing: nothing cached for that graph helps either). Both kinds of run pay the
same one-offs -- seeding, building the model, ``edge_index`` -- and each column has one untimed
warm-up run, so per-process one-offs (imports, first allocations) are in neither. ``field
ms``: what a reader pays on demand for one node's receptive field after every layer
(:func:`explorer.nn.receptive_field` of the node with the most incoming edges), which the
Trace no longer holds (the Neural page computes the clicked node's, once per node). Then the
Trace memory estimated before the run (:func:`explorer.nn.estimate_trace_bytes`) against the
bytes the Trace holds (:func:`explorer.trace.trace_nbytes`). A last row per size that allows
them, ``gcn+f``, records GCN with every node's fields (``record_fields=True``): ``rec`` with
them cached per graph, ``1st rec`` with them computed. The header says whether torch's buffers
of 2 MB and more get transparent huge pages (``explorer/__init__.py`` asks for them): without,
faulting in the fresh memory a recorded run keeps dominates its cost at 100,000 nodes, and an
unrecorded run pays it or not depending on what the allocator kept. Figures, never a pass/fail.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Callable

import numpy as np
import torch

from explorer.graph import Graph
from explorer.nn.layers import make_layer
from explorer.nn import recording
from explorer.nn.recording import estimate_trace_bytes, receptive_field
from explorer.nn.run import KINDS, build_model, run_stack
from explorer.trace import trace_nbytes

__all__ = ["run"]


def _best_times(fns: list[Callable[[], object] | None], repeats: int,
                clock: Callable[[], float] = time.perf_counter) -> list[float | None]:
    """Fastest of ``repeats`` runs of each function, interleaved so that load from other
    processes hits all of them alike (the minimum is the figure least disturbed by it)."""
    for fn in fns:
        if fn is not None:
            fn()  # warm-up
    best: list[float | None] = [None if fn is None else float("inf") for fn in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            if fn is None:
                continue
            t0 = clock()
            fn()
            best[k] = min(best[k], clock() - t0)
    return best


def _pyg_layer(kind: str, d: int):
    try:
        from torch_geometric import nn as gnn
        from torch_geometric.nn.models import MLP
    except ImportError:
        return None
    return {"gcn": lambda: gnn.GCNConv(d, d), "sage": lambda: gnn.SAGEConv(d, d),
            "gat": lambda: gnn.GATConv(d, d // 4, heads=4),
            "gin": lambda: gnn.GINConv(MLP([d, d, d], norm=None))}[kind]()


def run(quick: bool = False) -> int:
    n, e, d, repeats = (1_000, 10_000, 16, 3) if quick else (10_000, 100_000, 64, 10)
    gen = torch.Generator().manual_seed(0)
    ei = torch.randint(0, n, (2, e), generator=gen)
    x = torch.randn(n, d, generator=gen)
    print(f"graph: {n} nodes, {e} directed edges, d = {d}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; best of {repeats} interleaved forwards (ms)")
    print(f"{'layer':6} {'ours':>9} {'recorded':>9} {'PyG':>9} {'ours/PyG':>9} {'rec/PyG':>8} {'rec/ours':>9}")
    for kind in ("gcn", "sage", "gat", "gin"):
        torch.manual_seed(0)
        ours = make_layer(kind, d, d // 4 if kind == "gat" else d, **({"heads": 4} if kind == "gat" else {})).eval()
        with torch.no_grad():
            theirs = _pyg_layer(kind, d)
            if theirs is not None:
                theirs.eval()
                theirs.load_state_dict(ours.state_dict())
                err = float((theirs(x, ei) - ours(x, ei)).abs().max())
            t_plain, t_rec, t_pyg = _best_times([lambda: ours(x, ei), lambda: ours(x, ei, recorder={}),
                                                 None if theirs is None else (lambda: theirs(x, ei))], repeats)
        ms = lambda t: f"{1e3 * t:9.2f}" if t is not None else f"{'-':>9}"  # noqa: E731
        ratio = lambda a, b: f"{a / b:8.2f}x" if b else f"{'-':>9}"  # noqa: E731
        print(f"{kind:6} {ms(t_plain)} {ms(t_rec)} {ms(t_pyg)} {ratio(t_plain, t_pyg)} {ratio(t_rec, t_pyg)}"
              f" {ratio(t_rec, t_plain)}" + (f"   (max |ours - PyG| = {err:.1e})" if t_pyg else ""))
    _recording(quick)
    return 0


def _recording(quick: bool) -> None:
    """Table 2 of the module docstring (torch on one thread: CPU time then counts no spinning)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _recording_table(quick)
    finally:
        torch.set_num_threads(threads)


def _fresh(g: Graph, count: int) -> list[Graph]:
    """``count`` copies of ``g`` with their own edge arrays: graphs no run has seen."""
    return [dataclasses.replace(g, senders=g.senders.copy(), receivers=g.receivers.copy())
            for _ in range(count)]


def _huge_pages() -> str:
    """Whether torch's large buffers get transparent huge pages here (see explorer/__init__.py)."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            mode = f.read().split("[")[1].split("]")[0]
    except (OSError, IndexError):
        mode = "unknown"
    asked = os.environ.get("THP_MEM_ALLOC_ENABLE", "0") not in ("", "0")
    return f"torch THP_MEM_ALLOC_ENABLE={'1' if asked else '0'}, kernel THP mode {mode}"


def _recording_table(quick: bool) -> None:
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    layers, hidden = 2, 16
    print(f"recording: run_stack record=True vs record=False, {layers} layers, hidden {hidden}, "
          "10 edges per node, torch on 1 thread; best of interleaved runs, CPU ms of this process "
          "(steadier than wall time on a shared machine); 1st = on a graph never run before; "
          f"field ms = one node's receptive field on demand; Trace MiB estimated before vs held after; "
          f"{_huge_pages()}")
    print(f"{'nodes':>7} {'layer':6} {'unrec':>8} {'rec':>8} {'rec/unrec':>9} {'1st unrec':>9} "
          f"{'1st rec':>8} {'1st ratio':>9} {'field ms':>8} {'est MiB':>8} {'held MiB':>8} {'est/held':>8}")
    for n in sizes:
        rng = np.random.default_rng(0)
        e = 10 * n
        g = Graph(n, rng.integers(0, n, e), rng.integers(0, n, e), directed=True,
                  x=rng.standard_normal((n, hidden)))
        hub = int(np.bincount(g.receivers, minlength=n).argmax())
        repeats = 10 if n <= 1_000 else 5 if n <= 10_000 else 3
        rows = [(kind, {}) for kind in KINDS]
        if recording.rf_work(g, layers) <= recording.rf_budget(0):     # all-node fields allowed
            rows.append(("gcn", {"record_fields": True}))
        for kind, extra in rows:
            name = kind + ("+f" if extra else "")
            if kind == "mpnn" and n > 10_000:
                print(f"{n:>7} {kind:6} {'(skipped: a 16x16 matrix per edge)':>40}")
                continue
            opts = dict(layer=kind, layers=layers, hidden=hidden, seed=0, features="x")
            kept: list = []
            new_plain, new_rec = _fresh(g, repeats + 1), _fresh(g, repeats + 1)

            def recorded() -> None:
                kept[:] = [run_stack(g, record=True, **opts, **extra)]    # the last one is measured below

            def first_rec() -> None:     # a new graph: its fields are not cached (gcn+f)
                run_stack(new_rec.pop(), record=True, **opts, **extra)

            t_plain, t_rec, t_first_plain, t_first, t_field = _best_times(
                [lambda: run_stack(g, record=False, **opts), recorded,
                 lambda: run_stack(new_plain.pop(), record=False, **opts), first_rec,
                 None if extra else (lambda: receptive_field(g, hub, layers))],
                repeats, clock=time.process_time)
            tr = kept[0]
            model = build_model(kind, hidden, layers=layers, hidden=hidden)
            est = estimate_trace_bytes(g, kind, getattr(model, "specs", None), layers=layers, hidden=hidden,
                                       fields=bool(extra))
            held = trace_nbytes(tr)
            field = f"{1e3 * t_field:8.2f}" if t_field is not None else f"{'-':>8}"
            print(f"{n:>7} {name:6} {1e3 * t_plain:8.1f} {1e3 * t_rec:8.1f} {t_rec / t_plain:8.2f}x "
                  f"{1e3 * t_first_plain:9.1f} {1e3 * t_first:8.1f} {t_first / t_first_plain:8.2f}x {field} "
                  f"{est / 2**20:8.1f} {held / 2**20:8.1f} {est / held:8.3f}")
            kept.clear()
