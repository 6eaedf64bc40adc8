"""The ``gnn`` command (routed here by :mod:`explorer.cli`).

    python -m explorer gnn GRAPH --layer gcn|sage|gat|gin|mpnn|gn [--layers L] [--hidden H]
        [--heads K] [--out-channels C] [--readout sum|mean|max|attention] [--seed S]
        [--features auto|x|constant|degree|identity|random] [--weights STATE_DICT.pt]
        [--gat-last mean|concat] [--json OUT] [--trace OUT [--fields]]

``--json`` writes ``{"layers": [{"output": [[float, ...], ...]}, ...], "output": [[...], ...]}``:
one entry per layer holding that layer's output (before the ReLU that feeds the next layer),
and the final output, rows in the node order of the file. With ``--weights`` (a PyG
``state_dict`` of GCN, GraphSAGE, GAT or GIN) the architecture and sizes come from the file;
``--gat-last`` says how a GAT's last layer combines its heads when the file cannot tell (no
bias): ``mean`` (default, PyG's ``GAT`` with ``out_channels``) or ``concat``. Numeric options
out of range (:data:`explorer.nn.options.GNN_RANGES`) are refused before any work.
``--fields`` also stores every node's receptive field in the ``--trace`` file (each layer
step's extras ``receptive_field`` and, up to 300 nodes, ``receptive_field_sets``; see
:mod:`explorer.nn.recording`); without it the Trace keeps none, and
``explorer.nn.receptive_field(graph, node, depth)`` gives any node's on demand.
"""

from __future__ import annotations

import argparse
import json
import sys

from explorer.errors import ModelError
from explorer.nn.features import FEATURE_KINDS
from explorer.nn.options import GNN_RANGES, check_options
from explorer.nn.pyg_import import GAT_LAST, load_pyg_state_dict
from explorer.nn.run import KINDS, run_stack
from explorer.nn.stack import READOUTS

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """Add the ``gnn`` options to its sub-parser."""
    parser.add_argument("graph", metavar="GRAPH", help="a graph file or a sample name (e.g. karate)")
    parser.add_argument("--layer", choices=KINDS, default=None,
                        help="layer type; default gcn (or the type found in --weights)")
    parser.add_argument("--layers", type=int, default=2, metavar="L", help="number of layers / steps; default 2")
    parser.add_argument("--hidden", type=int, default=16, metavar="H", help="hidden width; default 16")
    parser.add_argument("--heads", type=int, default=1, metavar="K", help="GAT attention heads; default 1")
    parser.add_argument("--out-channels", type=int, default=None, metavar="C",
                        help="width of the last layer (default: the hidden width)")
    parser.add_argument("--readout", choices=READOUTS, default=None, help="add a graph-level readout step")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="parameter seed; default 0")
    parser.add_argument("--features", choices=FEATURE_KINDS, default="auto",
                        help="node features: auto = the graph's x if present, else one-hot degree")
    parser.add_argument("--weights", metavar="STATE_DICT.pt",
                        help="a PyG GCN/GraphSAGE/GAT/GIN state_dict to run instead of random weights")
    parser.add_argument("--gat-last", choices=GAT_LAST, default=None,
                        help="GAT weights without a bias: average (mean, PyG's default with out_channels) "
                             "or concatenate the last layer's heads")
    parser.add_argument("--json", metavar="OUT", help="write per-layer and final outputs as JSON ('-' = stdout)")
    parser.add_argument("--trace", metavar="OUT", help="write the recorded Trace as JSON")
    parser.add_argument("--fields", action="store_true",
                        help="with --trace: store every node's receptive field per layer in it")


def run(args: argparse.Namespace) -> int:
    """Run the stack, print a summary, write the requested files; returns the exit status."""
    from explorer.io.samples import load_graph

    check_options(args, GNN_RANGES)            # before loading anything
    if args.fields and not args.trace:
        raise ModelError("--fields stores receptive fields in the Trace file; add --trace OUT or drop --fields")
    if args.gat_last and not args.weights:
        raise ModelError("--gat-last applies to GAT weights read with --weights; add --weights FILE.pt "
                         "or drop --gat-last")
    graph = load_graph(args.graph)
    layer, spec = args.layer or "gcn", None
    if args.weights:
        spec = load_pyg_state_dict(args.weights, gat_last=args.gat_last)
        if args.layer and args.layer != spec["kind"]:
            raise ModelError(f"--layer {args.layer} was asked for, but the weights are a PyG {spec['kind']} "
                             f"model; drop --layer or pass --layer {spec['kind']}")
        layer = spec["kind"]
    trace = run_stack(graph, layer=layer, layers=args.layers, hidden=args.hidden, heads=args.heads,
                      out_channels=args.out_channels, seed=args.seed, features=args.features,
                      weights=spec, readout=args.readout, record=args.trace is not None,
                      record_fields=args.fields)
    found = trace.params["layer"]
    res = trace.result
    info = sys.stderr if args.json == "-" else sys.stdout
    if res["features_notice"]:
        print(f"note: {res['features_notice']}", file=info)
    for note in (spec or {}).get("notes", []):
        print(f"note: {note}", file=info)
    if res.get("receptive_fields_notice"):
        print(f"note: {res['receptive_fields_notice']}", file=info)
    sizes = " -> ".join([str(trace.params["in_channels"])] + [str(s.shape[1]) for s in res["layers"]])
    print(f"{found}: {trace.params['layers']} layers, widths {sizes}, on {graph.n_nodes} nodes / "
          f"{graph.n_edges} directed edges" + (f" (weights: {args.weights})" if args.weights else ""), file=info)
    if res["readout"] is not None:
        print("graph output: " + " ".join(f"{v:.4g}" for v in res["readout"]), file=info)
    if args.json:
        text = json.dumps({"layers": [{"output": s.tolist()} for s in res["layers"]],
                           "output": res["output"].tolist()})
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text)
            print(f"wrote {args.json}", file=info)
    if args.trace:
        trace.to_json(args.trace)
        print(f"wrote {args.trace}", file=info)
    return 0
