"""``python -m explorer export GRAPH_OR_MODEL --algo ... --html OUT [--png OUT]``.

Runs one engine on a graph or model and writes its animation as a standalone offline HTML file
(plotly.js embedded), and optionally a PNG of the first step shown. ``bp`` and ``ve`` load a
model (``explorer.pgm.load_model``); the others load a graph (``explorer.io.load_graph``).
"""

from __future__ import annotations

import argparse
from typing import Any

from explorer.errors import ModelError

ALGOS = ("bp", "ve", "gcn", "sage", "gat", "gin", "wl")


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """Options of the ``export`` command."""
    parser.add_argument("source", metavar="GRAPH_OR_MODEL",
                        help="a graph or model file, or a sample name (see `samples`)")
    parser.add_argument("--algo", required=True, choices=ALGOS, help="the algorithm to animate")
    parser.add_argument("--layers", type=int, default=2, help="neural layers (gcn/sage/gat/gin; default 2)")
    parser.add_argument("--hidden", type=int, default=8, help="hidden width of neural layers (default 8)")
    parser.add_argument("--heads", type=int, default=2, help="GAT heads (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--mode", choices=("sum", "max"), default="sum", help="BP/VE: sum- or max-product")
    parser.add_argument("--updates", default="parallel",
                        help="BP schedule: parallel, seqfix, seqrnd, residual or tree (default parallel)")
    parser.add_argument("--damping", type=float, default=0.0, help="BP damping in [0, 1) (default 0)")
    parser.add_argument("--max-iter", type=int, default=50, help="BP iteration limit (default 50)")
    parser.add_argument("--color-by", default="auto", help="node colour mode (default: the first that applies)")
    parser.add_argument("--frame-ms", type=int, default=700, help="milliseconds per frame when playing")
    parser.add_argument("--html", required=True, metavar="OUT", help="write the offline HTML animation here")
    parser.add_argument("--png", metavar="OUT", help="also write a PNG (needs kaleido and Chromium)")


def build_trace(args: argparse.Namespace) -> Any:
    """Run the engine named by ``args.algo`` on ``args.source`` and return its Trace."""
    if args.algo in ("bp", "ve"):
        from explorer.pgm import load_model

        fg = load_model(args.source)
        if args.algo == "bp":
            from explorer.pgm import run_bp

            return run_bp(fg, mode=args.mode, updates=args.updates, damping=args.damping,
                          max_iter=args.max_iter, seed=args.seed)
        from explorer.pgm import variable_elimination

        return variable_elimination(fg, mode=args.mode)
    from explorer.io import load_graph

    graph = load_graph(args.source)
    if args.algo == "wl":
        from explorer.nn.wl import wl_refine

        return wl_refine(graph)
    if args.layers < 1:
        raise ModelError(f"--layers must be at least 1 (got {args.layers})")
    from explorer.nn.run import run_stack

    return run_stack(graph, layer=args.algo, layers=args.layers, hidden=args.hidden, heads=args.heads,
                     seed=args.seed)


def run(args: argparse.Namespace) -> int:
    """Build the trace, draw it, write the HTML (and PNG); print what was written."""
    from explorer.viz.export import export_html, export_png
    from explorer.viz.layout import compute_layout
    from explorer.viz.trace_view import trace_figure

    trace = build_trace(args)
    pos = compute_layout(trace.graph, seed=args.seed)
    fig = trace_figure(trace, pos, color_by=args.color_by, frame_ms=args.frame_ms)
    title = f"{trace.kind} on {trace.graph.name or args.source}"
    path = export_html(fig, args.html, title=title)
    print(f"wrote {path} ({len(trace.steps)} steps, {trace.graph.n_nodes} nodes)")
    if args.png:
        out = export_png(fig, args.png)
        print(f"wrote {out}")
    return 0
