"""``python -m explorer bench oversmooth``: what a deep over-smoothing sweep costs.

Figures, never pass/fail. On a random graph (G(n, m), 20,000 nodes and 100,000 undirected
edges, 64 input features) a 64-layer GCN with hidden size 64 runs twice in the same process:

* bare: the forward pass alone (the same :class:`DeepStack`, no metrics);
* sweep: :func:`depth_sweep` with every metric at every layer (MAD/MADGap on a seeded sample of
  2^18 pairs; the graph preparation and hop table included).

It prints both times and their ratio (aim <= 3x), the peak resident memory (aim <= 2 GB), and
the growth exponent of the sweep's time from 5,000 to 40,000 nodes (edges = 5 x nodes; aim
about 1, linear). With a CUDA GPU it repeats the main case there and prints the speed-up.
``--quick`` uses small sizes (seconds; figures not comparable).
"""

from __future__ import annotations

import math
import resource
import sys
import time

import numpy as np
import torch

from explorer.diagnostics.stack import DeepStack
from explorer.diagnostics.sweep import depth_sweep
from explorer.diagnostics.synthetic import random_graph

__all__ = ["run"]


def _rss_mb() -> float:
    """Current resident memory in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2 ** 20
    except OSError:
        return 0.0


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2 ** 20 if sys.platform == "darwin" else peak / 1024


def _sync(dev: str) -> None:
    if dev.startswith("cuda"):
        torch.cuda.synchronize()


def _bare_forward(graph, depth: int, hidden: int, dev: str) -> float:
    torch.manual_seed(0)
    model = DeepStack("gcn", graph.x.shape[1], hidden, depth).to(dev).eval()
    x = torch.tensor(graph.x, dtype=torch.float32, device=dev)
    ei = torch.from_numpy(graph.edge_index.copy()).to(dev)
    with torch.no_grad():
        _sync(dev)
        t = time.perf_counter()
        for _ in model.layers(x, ei):
            pass
        _sync(dev)
    return time.perf_counter() - t


def _sweep(graph, depth: int, hidden: int, dev: str) -> float:
    _sync(dev)
    t = time.perf_counter()
    depth_sweep(graph, layer="gcn", depth=depth, hidden=hidden, device=dev, seed=0)
    _sync(dev)
    return time.perf_counter() - t


def _case(n: int, m: int, depth: int, hidden: int, dev: str) -> tuple[float, float]:
    g = random_graph(n, m, seed=0, feature_dim=64)
    _sweep(random_graph(500, 2500, seed=1, feature_dim=64), 2, hidden, dev)      # warm-up
    bare = _bare_forward(g, depth, hidden, dev)
    return bare, _sweep(g, depth, hidden, dev)


def run(quick: bool = False) -> int:
    n, m, depth, hidden = (5_000, 25_000, 8, 64) if quick else (20_000, 100_000, 64, 64)
    series = (2_500, 5_000, 10_000) if quick else (5_000, 10_000, 20_000, 40_000)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads (set OMP_NUM_THREADS=1 on a "
          "busy shared machine for steadier figures);")
    print(f"  GCN x {depth}, hidden {hidden}, G(n={n:,}, m={m:,}), 64 input features")
    base = _rss_mb()
    bare, sweep = _case(n, m, depth, hidden, "cpu")
    print(f"cpu  bare {depth}-layer forward      {bare:8.3f} s")
    print(f"cpu  sweep with every metric     {sweep:8.3f} s   ratio {sweep / bare:5.2f}x (aim <= 3x)")
    print(f"peak resident memory             {_peak_mb():8.0f} MB  (before the run: {base:.0f} MB; "
          "aim <= 2048 MB)")
    sweeps, bares = [], []
    for k in series:
        g = random_graph(k, 5 * k, seed=0, feature_dim=64)
        bares.append(_bare_forward(g, depth, hidden, "cpu"))
        sweeps.append(_sweep(g, depth, hidden, "cpu"))
        print(f"cpu  n={k:>6,} m={5 * k:>7,}   bare {bares[-1]:8.3f} s   sweep {sweeps[-1]:8.3f} s   "
              f"metrics {sweeps[-1] - bares[-1]:8.3f} s")
    logn = np.log(series)
    slope = float(np.polyfit(logn, np.log(sweeps), 1)[0])
    extra = np.maximum(np.array(sweeps) - np.array(bares), 1e-9)
    print(f"growth exponent (time ~ n^k), n = {series[0]:,} .. {series[-1]:,}:  sweep k = {slope:.2f} "
          f"(aim ~ 1); bare forward k = {np.polyfit(logn, np.log(bares), 1)[0]:.2f}; "
          f"metrics alone k = {np.polyfit(logn, np.log(extra), 1)[0]:.2f}")
    if torch.cuda.is_available():
        gb, gs = _case(n, m, depth, hidden, "cuda")
        print(f"cuda bare {depth}-layer forward      {gb:8.3f} s   speed-up {bare / gb:6.1f}x")
        print(f"cuda sweep with every metric     {gs:8.3f} s   ratio {gs / gb:5.2f}x   "
              f"speed-up {sweep / gs:6.1f}x")
        print(f"cuda peak allocated              {torch.cuda.max_memory_allocated() / 2 ** 20:8.0f} MB")
    else:
        print("cuda: no GPU visible to torch; CUDA figures skipped")
    return 0 if math.isfinite(slope) else 1
