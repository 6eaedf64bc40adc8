"""Make the Home page's card pictures: ``python -m explorer.ui.thumbnails [FOLDER]``.

One small static PNG per page (explorer/ui/assets/thumbs/<page>.png), drawn from the same
figures the pages show, through kaleido and the local Chromium (see :mod:`explorer.viz.export`).
Run it after a change to the figures; the PNGs are committed so the app needs no browser to run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any



__all__ = ["figures", "make", "FOLDER", "SIZE"]

FOLDER = Path(__file__).resolve().parent / "assets" / "thumbs"
#: pixels of a thumbnail (16:10, as a card in a four-column row)
SIZE = (480, 300)


def _clean(fig: Any) -> Any:
    # traces are drawn animated (a still one leaves the earlier messages without their colours)
    # and the frames dropped here: a thumbnail shows the chosen step only
    fig.frames = []
    fig.layout.updatemenus, fig.layout.sliders = (), ()  # (update_layout merges an empty list)
    top = 22 if fig.layout.annotations else 4  # room for subplot titles
    fig.update_layout(title=None, showlegend=False, margin=dict(l=4, r=4, t=top, b=4))
    fig.update_traces(showscale=False, selector=lambda t: hasattr(t, "showscale"))
    for tr in fig.data:
        if getattr(tr, "marker", None) is not None and getattr(tr.marker, "showscale", None):
            tr.marker.showscale = False
    return fig


def figures() -> dict[str, Any]:
    """``{page stem: figure}`` for every page with a picture."""
    from explorer import diagnostics, io, nn, pgm, viz
    from explorer.ui.matrix_form import gcn_matrices
    from explorer.ui.pairs import disjoint_union, side_by_side
    from explorer.nn import aggregation, gn_steps, readout
    from explorer.viz.gn_view import gn_figure, sampling_figure
    from explorer.viz.layout import compute_layout
    from explorer.viz.readout_view import molecule_figure

    out: dict[str, Any] = {}
    karate = io.load_graph("karate")
    kpos = compute_layout(karate, "auto", 0)
    out["graphs"] = viz.graph_figure(karate, kpos, color=karate.y)
    demo = pgm.chain_demo(5, 2)
    t = demo["trace"]
    out["variable_elimination"] = viz.trace_figure(t, compute_layout(t.graph, "auto", 0), step=2,
                                                   selected=2)
    asia = pgm.load_model("asia")
    bp = pgm.run_bp(asia)
    out["belief_propagation"] = viz.trace_figure(bp, compute_layout(bp.graph, "auto", 0),
                                                 step=len(bp.steps) - 1)
    ct = pgm.calibrate(asia, record=True)
    out["clique_tree"] = viz.trace_figure(ct, compute_layout(ct.graph, "auto", 0),
                                          step=len(ct.steps) // 2)
    gcn = nn.run_stack(karate, layer="gcn", layers=2, hidden=4, seed=0)
    out["neural"] = viz.trace_figure(gcn, kpos, step=1, selected=0)
    grid = io.load_graph("grid3x3")
    m = gcn_matrices(grid, hidden=3, seed=0, features="auto")
    out["matrix"] = viz.heatmaps_figure(m["R"], m["X"], m["Theta"], m["Xp"])
    a, b = io.load_graph("two_triangles"), io.load_graph("hexagon")
    union = disjoint_union(a, b)
    wl = nn.wl.wl_refine(union)
    pos = side_by_side(compute_layout(a, "auto", 0), compute_layout(b, "auto", 0))
    out["expressiveness"] = viz.trace_figure(wl, pos, step=len(wl.steps) - 1)
    sweep = diagnostics.depth_sweep(karate, layer="gcn", depth=16, hidden=16, keep_features=True)
    out["oversmoothing"] = viz.metrics_figure({"gcn": sweep})
    mols, _ = readout.load_molecules()
    mol = next((g for g in mols if g.name == "paracetamol"), mols[0])
    out["readout"] = molecule_figure(mol, compute_layout(mol, "kamada_kawai", 0),
                                     readout.bond_types(mol))
    caffeine = io.load_graph("caffeine")
    gn = gn_steps.gn_layers(caffeine, layers=1, hidden=4, seed=0)
    sub = next(s for s in gn["layers"][0] if s["key"] == "rho_ev")
    into = [int(k) for k in (caffeine.receivers == 0).nonzero()[0]]
    out["gn_block"] = gn_figure(caffeine, compute_layout(caffeine, "auto", 0), sub, node=0,
                                edge=into[0] if into else None, edge_attr=gn["edge_attr"],
                                node_in=gn["x"])
    sampled = aggregation.sampled_layers(karate, fanout=3, seed=0, layers=2, hidden=4,
                                         features="random")
    out["aggregators"] = sampling_figure(karate, kpos, sampled["kept"][0], node=0)
    return {k: _clean(f) for k, f in out.items()}


def make(folder: Path = FOLDER) -> list[Path]:
    """Write every thumbnail into ``folder``; returns the paths."""
    from explorer.viz.export import export_png

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figures().items():
        paths.append(export_png(fig, folder / f"{name}.png", width=SIZE[0], height=SIZE[1]))
    return paths


if __name__ == "__main__":  # pragma: no cover - a build step
    for p in make(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER):
        print(p)

