"""The ``samples`` and ``show`` commands (routed here by :mod:`explorer.cli`).

    python -m explorer samples [--kind graph|model] [--json]
    python -m explorer show GRAPH [--json]

``samples --json`` prints a JSON list of objects with ``name``, ``title``, ``kind``, ``file``,
``note``, ``demonstrates`` and ``layout``. ``show --json`` prints one object: the graph's
:meth:`~explorer.graph.Graph.summary` plus ``source``, ``format``, ``node_ids`` (first 20),
``labels`` (the classes in ``y`` with their counts) and ``features`` (names and sizes).
"""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

import numpy as np

from explorer.graph import Graph
from explorer.io.samples import list_samples, load_graph

__all__ = ["add_arguments", "run", "describe"]


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """Add the options of ``command`` (``samples`` or ``show``) to its sub-parser."""
    if command == "samples":
        parser.add_argument("--kind", choices=("graph", "model"), help="only samples of this kind")
    else:
        parser.add_argument("graph", metavar="GRAPH", help="a graph file or a sample name")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def describe(g: Graph) -> dict[str, Any]:
    """Plain data summarising ``g`` for ``show`` (sizes, features, labels, degrees, warnings)."""
    out = g.summary()
    out["source"] = g.meta.get("source")
    out["format"] = g.meta.get("format")
    out["node_ids"] = [i if isinstance(i, (int, str)) else str(i) for i in g.ids[:20]]
    out["features"] = {
        "x": None if g.x is None else list(g.x.shape),
        "edge_attr": None if g.edge_attr is None else list(g.edge_attr.shape),
        "edge_weight": g.edge_weight is not None,
        "pos": g.pos is not None,
        "roles": sorted(set(g.roles)) if g.roles is not None else None,
    }
    if g.y is not None:
        vals, counts = np.unique(g.y, return_counts=True)
        out["labels"] = {str(int(v)): int(c) for v, c in zip(vals, counts)}
        if "classes" in g.meta:
            out["classes"] = list(g.meta["classes"])
    else:
        out["labels"] = None
    return out


def _text(d: dict[str, Any]) -> str:
    kind = "directed" if d["directed"] else "undirected"
    lines = [f"{d['name'] or d['source']}  ({d['format']}, {kind})",
             f"  nodes      {d['nodes']}",
             f"  edges      {d['edges']}" + ("" if d["directed"] else "  (undirected, counted once)"),
             f"  degree     min {d['degree_min']}, mean {d['degree_mean']:.2f}, max {d['degree_max']}"]
    f = d["features"]
    lines.append("  x          " + ("none" if f["x"] is None else f"{f['x'][1]} features per node"))
    lines.append("  edge_attr  " + ("none" if f["edge_attr"] is None
                                    else f"{f['edge_attr'][1]} features per edge"))
    if f["edge_weight"]:
        lines.append("  weights    yes")
    if d["labels"]:
        lines.append("  labels y   " + ", ".join(f"class {k}: {v} nodes" for k, v in d["labels"].items()))
    if f["roles"]:
        lines.append("  roles      " + ", ".join(f["roles"]))
    lines.append("  positions  " + ("from the file" if f["pos"] else "none (a layout is computed)"))
    if d["self_loops"]:
        lines.append(f"  self-loops {d['self_loops']}")
    for w in d["warnings"]:
        lines.append(textwrap.fill(w, 96, initial_indent="  warning: ", subsequent_indent="    "))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``samples`` or ``show``; returns the exit status (errors raise ExplorerError)."""
    if args.command == "samples":
        items = list_samples(getattr(args, "kind", None))
        if args.json:
            print(json.dumps([s.as_dict() for s in items], indent=1))
        else:
            width = max((len(s.name) for s in items), default=4)
            for s in items:
                print(f"{s.name:<{width}}  {s.kind:<5}  {s.title}")
        return 0
    d = describe(load_graph(args.graph))
    print(json.dumps(d, indent=1) if args.json else _text(d))
    return 0
