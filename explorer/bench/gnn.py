"""``python -m explorer bench gnn``: forward time of our layers, unrecorded and recorded, against
PyG's same layer in the same process, and the memory a recorded Trace takes.

Full size: a random directed graph with 10,000 nodes, 100,000 edges and d = 64 features
(``--quick``: 1,000 / 10,000 / 16). Times are the best of interleaved repeated forwards under
``torch.no_grad()`` on CPU; ratios are ours / PyG (PyG rows appear only when it is installed).
Figures, never a pass/fail.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from explorer.graph import Graph
from explorer.nn.layers import make_layer
from explorer.nn.run import run_stack

__all__ = ["run"]


def _best_times(fns: list[Callable[[], object] | None], repeats: int) -> list[float | None]:
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
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
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


def _trace_bytes(trace) -> int:
    total = 0
    for step in trace.steps:
        for v in (step.messages, step.aggregates, step.states, *step.extras.values()):
            if isinstance(v, np.ndarray):
                total += v.nbytes
            elif isinstance(v, list):
                total += sum(a.nbytes for a in v if isinstance(a, np.ndarray))
    return total


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
    s, r = ei.numpy()
    g = Graph(n, s, r, directed=True, x=x.numpy())
    print("Trace memory of run_stack (GCN, hidden = d; messages and aggregates float32 as computed, "
          "states float64), against L*(E+N)*d*8 bytes:")
    for layers in (1, 2, 3):
        t0 = time.perf_counter()
        tr = run_stack(g, layer="gcn", layers=layers, hidden=d, seed=0)
        dt = time.perf_counter() - t0
        b = _trace_bytes(tr)
        unit = layers * (e + n) * d * 8
        print(f"  L={layers}: {b / 2**20:8.1f} MiB = {b / unit:.2f} x L(E+N)d*8   (run_stack {dt:.2f} s)")
    return 0
