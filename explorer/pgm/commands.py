"""The ``exact`` and ``bp`` commands (``python -m explorer exact|bp MODEL ...``).

Both print a readable table, or with ``--json OUT`` write exactly::

    {"marginals": {VAR: {STATE: p}}, "map": {VAR: STATE} | null, "log_z": float | null,
     "iterations": int | null, "converged": bool | null}

``marginals`` cover every variable not in the evidence; ``map`` comes from ``exact`` always and
from ``bp --mode max``; ``iterations``/``converged`` from ``bp``. ``--json -`` writes to stdout.
``exact`` calibrates a clique tree (:mod:`explorer.pgm.junction`); its ``--trace OUT`` writes
the recorded sum-product calibration (one step per clique message).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from explorer.pgm.bp import UPDATES, run_bp
from explorer.pgm.evidence import check_evidence, parse_evidence, read_evidence_file
from explorer.pgm.factor_graph import FactorGraph
from explorer.pgm.junction import calibrate, clique_tree, exact_inference
from explorer.pgm.models import load_model

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("model", metavar="MODEL",
                        help="a .uai, .bif or .xmlbif file, or a model sample name (e.g. asia)")
    parser.add_argument("--evidence", action="extend", nargs="+", default=[], metavar="VAR=STATE",
                        help="observed values, repeatable (--evidence A=x --evidence B=y); a UAI "
                             ".evid file is also accepted")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON ('-' = stdout)")
    if command == "exact":
        parser.add_argument("--trace", metavar="OUT",
                            help="write the recorded clique-tree calibration (sum-product) as JSON")
    if command == "bp":
        parser.add_argument("--mode", choices=("sum", "max"), default="sum",
                            help="sum-product (marginals) or max-product (MAP); default sum")
        parser.add_argument("--updates", choices=UPDATES, default="parallel",
                            help="message schedule (libDAI's PARALL, SEQFIX, SEQRND, SEQMAX, plus "
                                 "the two-pass tree protocol); default parallel")
        parser.add_argument("--damping", type=float, default=0.0, metavar="D",
                            help="geometric damping in [0, 1), 0 = none (libDAI); default 0")
        parser.add_argument("--tol", type=float, default=1e-9, metavar="T",
                            help="stop when no belief changes by more than T; default 1e-9")
        parser.add_argument("--max-iter", type=int, default=100, metavar="N",
                            help="most iterations; default 100")
        parser.add_argument("--seed", type=int, default=0, metavar="S",
                            help="seed of the seqrnd order; default 0")
        parser.add_argument("--trace", metavar="OUT", help="write the recorded Trace as JSON")


def _evidence(fg: FactorGraph, items: list[str]) -> dict[int, int]:
    ev: dict[int, int] = {}
    strings = []
    for item in items:
        if "=" not in item and item.lower().endswith(".evid"):
            ev.update(read_evidence_file(item))
        else:
            strings.append(item)
    ev = check_evidence(fg, ev)
    for i, s in parse_evidence(fg, strings).items():
        ev[i] = s
    return ev


def _table(fg: FactorGraph, out: dict, evidence: dict[int, int], title: str) -> str:
    lines = [title]
    if evidence:
        lines.append("evidence: " + ", ".join(f"{fg.names[i]}={fg.states[i][s]}"
                                              for i, s in evidence.items()))
    width = max([len(v) for v in out["marginals"]] + [8])
    lines.append(f"{'variable':<{width}}  marginal" + ("   MAP" if out["map"] else ""))
    for var, dist in out["marginals"].items():
        cells = "  ".join(f"{s}={p:.4f}" for s, p in dist.items())
        star = f"   {out['map'][var]}" if out["map"] else ""
        lines.append(f"{var:<{width}}  {cells}{star}")
    if out["log_z"] is not None:
        lines.append(f"log Z = {out['log_z']:.10g}")
    if out["iterations"] is not None:
        lines.append(f"iterations = {out['iterations']}, converged = {str(out['converged']).lower()}")
    return "\n".join(lines)


def _write_json(out: dict, target: str) -> None:
    text = json.dumps(out, indent=2, allow_nan=False)
    if target == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(target).write_text(text + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    fg = load_model(args.model)
    evidence = _evidence(fg, args.evidence)
    if args.command == "exact":
        full = exact_inference(fg, evidence=evidence)
        out = {k: full[k] for k in ("marginals", "map", "log_z", "iterations", "converged")}
        if args.trace:
            calibrate(fg, evidence=evidence, record=True,
                      tree=clique_tree(fg, evidence=evidence)).to_json(args.trace)
        title = (f"exact inference (clique tree, treewidth {full['treewidth']}) on {fg.name}"
                 + (f"; MAP ties in {', '.join(full['map_ties'])}, decoded consistently"
                    if full["map_ties"] else ""))
    else:
        trace = run_bp(fg, mode=args.mode, updates=args.updates, damping=args.damping,
                       tol=args.tol, max_iter=args.max_iter, seed=args.seed, evidence=evidence,
                       record=bool(args.trace))
        r = trace.result
        out = {"marginals": r["marginals"], "map": r["map"], "log_z": r["log_z"],
               "iterations": int(r["iterations"]), "converged": bool(r["converged"])}
        if args.trace:
            trace.to_json(args.trace)
        title = (f"{'sum' if args.mode == 'sum' else 'max'}-product BP ({args.updates}, damping "
                 f"{args.damping:g}) on {fg.name}")
        if not r["converged"]:
            print(f"warning: BP did not converge in {r['iterations']} iterations (largest belief "
                  f"change {r['residual']:.3g} > tol {args.tol:g}"
                  + ("; messages oscillate: try --damping 0.5" if r["oscillating"] else "")
                  + ")", file=sys.stderr)
    if args.json:
        _write_json(out, args.json)
        if args.json != "-":
            print(f"wrote {args.json}")
    else:
        print(_table(fg, out, evidence, title))
    return 0
