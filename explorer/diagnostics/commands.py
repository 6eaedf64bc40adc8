"""``python -m explorer oversmooth GRAPH ...``: over-smoothing metrics per layer of a deep stack.

Without ``--json`` a table is printed; with it, the file holds ``{"device": str, "layers":
[{"layer": int, "dirichlet_energy": float, "dirichlet_energy_normalized": float, "mad": float,
"mad_gap": float | null, "effective_rank": float, "numerical_rank": float, "feature_norm":
float, "mean_cosine_similarity": float}, ...]}`` (an overflowed layer has null metrics).
``--save-features`` writes every layer's features as ``layer_0``, ``layer_1``, ... in an
``.npz``, refused above :data:`SAVE_LIMIT` numbers in all. Numeric options out of range
(:data:`explorer.nn.options.OVERSMOOTH_RANGES`, and ``--depth`` 1..128) are refused before any
work, with one ``error:`` line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from explorer.errors import TooLargeError
from explorer.diagnostics.device import DEVICES
from explorer.diagnostics.remedies import REMEDIES
from explorer.diagnostics.stack import LAYERS

__all__ = ["add_arguments", "run", "SAVE_LIMIT", "format_table"]

#: the most feature entries (over all layers) --save-features writes (float32: 200 MB)
SAVE_LIMIT = 50_000_000


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("graph", metavar="GRAPH", help="a graph file or a sample name (see `samples`)")
    parser.add_argument("--layer", choices=LAYERS, default="gcn", help="layer kind (default gcn)")
    parser.add_argument("--depth", type=int, default=16, help="number of layers, 1..128 (default 16)")
    parser.add_argument("--hidden", type=int, default=64, help="width of every layer (default 64)")
    parser.add_argument("--remedy", choices=REMEDIES, default="none", help="remedy (default none)")
    parser.add_argument("--device", choices=DEVICES, default="auto",
                        help="auto = CUDA when torch sees a GPU, else CPU (default auto)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, DropEdge and pair sample")
    parser.add_argument("--features", default="auto",
                        choices=("auto", "x", "constant", "degree", "identity", "random"),
                        help="input features: auto = the graph's x, else one-hot degree (default)")
    parser.add_argument("--dropedge-p", type=float, default=0.5, help="DropEdge drop probability")
    parser.add_argument("--pairnorm-scale", type=float, default=1.0, help="PairNorm scale s")
    parser.add_argument("--alpha", type=float, default=0.1, help="GCNII initial-residual alpha")
    parser.add_argument("--lam", type=float, default=0.5, help="GCNII lambda (beta_l = ln(lam/l + 1))")
    parser.add_argument("--json", metavar="OUT", help="write the per-layer metrics as JSON")
    parser.add_argument("--save-features", metavar="OUT.npz",
                        help=f"write every layer's features (up to {SAVE_LIMIT:,} numbers in all)")


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def format_table(layers: list[dict]) -> str:
    """A fixed-width text table of the per-layer metrics (``-`` for null)."""
    cols = [("layer", "layer"), ("E", "dirichlet_energy"), ("sqrtE", "survey_measure"),
            ("E_norm", "dirichlet_energy_normalized"), ("MAD", "mad"), ("MADGap", "mad_gap"),
            ("erank", "effective_rank"), ("numrank", "numerical_rank"), ("||X||_F", "feature_norm"),
            ("cos", "mean_cosine_similarity")]
    lines = ["".join(f"{h:>11}" for h, _ in cols)]
    for d in layers:
        row = "".join(f"{_fmt(d.get(k)):>11}" for _, k in cols)
        lines.append(row + ("   overflow" if d.get("overflow") else ""))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from explorer.io.samples import load_graph
    from explorer.nn.features import default_features
    from explorer.diagnostics.sweep import check_depth, depth_sweep
    from explorer.nn.options import OVERSMOOTH_RANGES, check_options

    check_depth(args.depth)                      # before loading anything
    check_options(args, OVERSMOOTH_RANGES)
    graph = load_graph(args.graph)
    x, notice = default_features(graph, args.features, seed=args.seed)
    if args.save_features:
        size = graph.n_nodes * (x.shape[1] + max(int(args.depth), 0) * max(int(args.hidden), 0))
        if size > SAVE_LIMIT:
            raise TooLargeError(f"--save-features would write {size:,} numbers (nodes x widths over all "
                                f"layers), above the limit {SAVE_LIMIT:,}; lower --depth or --hidden, "
                                "or drop --save-features", size=size, limit=SAVE_LIMIT)
    if notice:
        print(f"note: {notice}", file=sys.stderr)
    result = depth_sweep(graph, layer=args.layer, depth=args.depth, hidden=args.hidden,
                         remedy=args.remedy, device=args.device, seed=args.seed, x=x,
                         keep_features=bool(args.save_features), dropedge_p=args.dropedge_p,
                         pairnorm_scale=args.pairnorm_scale, alpha=args.alpha, lam=args.lam)
    if args.save_features:
        np.savez_compressed(args.save_features, **{f"layer_{k}": f for k, f in enumerate(result.features)})
        print(f"wrote {len(result.features)} feature arrays to {args.save_features}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json_dict(), indent=1, allow_nan=False))
        print(f"wrote {args.json}", file=sys.stderr)
    else:
        p = result.params
        print(f"{graph.name or args.graph}: {graph.n_nodes} nodes, {p['layer']} x {p['depth']}, "
              f"hidden {p['hidden']}, remedy {p['remedy']}, device {result.device}, "
              f"pairs {p['pairs']}")
        print(format_table(result.layers))
    return 0
