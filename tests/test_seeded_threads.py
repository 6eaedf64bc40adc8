"""Seeded weights stay the seed's weights when several sessions build models at once.

The app serves every session from one process, in threads. The library draws a layer's initial
weights from torch's *global* generator right after seeding it; when two sessions did that at
the same moment, one thread's draws came from the other's seed (or from a half-consumed stream),
so a model's weights depended on who else was on the server. ``python -m explorer bench serve``
showed it as error boxes that then stayed for everyone, because the wrong result was cached:
"A GNN separated a pair 1-WL cannot" on the Expressiveness page (the two graphs of a pair got
different weights) and "the recorded GCN run differs from [PyG's GCNConv] by at most 1.1" on the
Matrix page (the matrices and the run got different weights).

The oracle is each call made alone, before any thread starts: with the same seed it must give
exactly the same numbers while other threads build models with other seeds. Python switches
threads every few microseconds here (``sys.setswitchinterval``), so an unguarded draw is
interleaved with the others' on every run of this test.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from explorer import io

torch = pytest.importorskip("torch")

ROUNDS = 6  # calls per (entry point, seed) in the threaded phase
SEEDS = (0, 1, 2)


def _entries() -> dict:
    """Library entry points that seed torch and build a model: name -> fn(seed) -> arrays."""
    from explorer import diagnostics, nn
    from explorer.nn import gn_steps, operators, readout
    from explorer.ui import matrix_form

    karate = io.load_graph("karate")
    star = io.load_graph("star")
    a, b = io.load_graph("decalin"), io.load_graph("bicyclopentyl")
    return {
        "run_stack": lambda s: [nn.run_stack(karate, layer="gcn", layers=2, hidden=4, seed=s,
                                             record=False).result["output"]],
        "gcn_matrices": lambda s: [matrix_form.gcn_matrices(karate, hidden=4, seed=s)["Theta"]],
        "operator_layer": lambda s: [operators.operator_layer(karate, hidden=3, seed=s)["Theta"]],
        "pair_embeddings": lambda s: [r[g] for r in readout.pair_embeddings(a, b, seed=s)
                                      for g in ("a", "b")],
        "gn_layers": lambda s: [np.asarray(gn_steps.gn_layers(star, layers=1, hidden=3,
                                                              seed=s)["layers"][0][-1]["output"],
                                           dtype=float)],
        "train": lambda s: [np.asarray(nn.train_node_classifier(karate, hidden=4, epochs=2,
                                                                seed=s).losses)],
        "depth_sweep": lambda s: [np.asarray([m["dirichlet_energy"] for m in diagnostics.depth_sweep(
            karate, depth=2, hidden=4, seed=s, device="cpu").layers])],
    }


def _same(xs: list, ys: list) -> bool:
    return len(xs) == len(ys) and all(np.array_equal(np.asarray(x), np.asarray(y))
                                      for x, y in zip(xs, ys))


def test_seeded_entry_points_are_deterministic_under_threads():
    entries = _entries()
    alone = {(name, s): fn(s) for name, fn in entries.items() for s in SEEDS}
    # the oracle itself: two seeds give different numbers, so a mix-up would show
    for name in entries:
        assert not _same(alone[(name, 0)], alone[(name, 1)]), name

    wrong: list[tuple[str, int]] = []
    crashed: list[BaseException] = []

    def work(name: str, seed: int) -> None:
        try:
            for _ in range(ROUNDS):
                if not _same(entries[name](seed), alone[(name, seed)]):
                    wrong.append((name, seed))
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            crashed.append(e)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        threads = [threading.Thread(target=work, args=(name, s)) for name in entries for s in SEEDS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        sys.setswitchinterval(old)
        torch.set_num_threads(torch_threads)
    assert not crashed, crashed
    assert not wrong, (f"{len(wrong)} of {len(entries) * len(SEEDS) * ROUNDS} calls gave other "
                       f"numbers than the same call alone: {sorted(set(wrong))}")
