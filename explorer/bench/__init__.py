"""``python -m explorer bench [bp|exact|gnn|oversmooth|ui]``: speed and memory figures.

Benchmarks print figures and ratios against a baseline run *in the same process*; they never
pass or fail (the test suite has no timed assertions). Each topic lives in its own module
``explorer.bench.<topic>`` with a ``run(quick: bool) -> int`` function.
"""

from __future__ import annotations

import argparse
import importlib

TOPICS = ("bp", "exact", "gnn", "oversmooth", "ui")


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("topics", nargs="*", metavar="TOPIC",
                        help=f"which benchmarks to run: {', '.join(TOPICS)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes, for a smoke run in seconds (figures not comparable)")


def run(args: argparse.Namespace) -> int:
    status = 0
    unknown = [t for t in args.topics if t not in TOPICS]
    if unknown:
        print(f"error: unknown benchmark {unknown[0]!r}; expected one of {', '.join(TOPICS)}")
        return 2
    for topic in args.topics or TOPICS:
        try:
            mod = importlib.import_module(f"explorer.bench.{topic}")
        except ModuleNotFoundError as e:
            if e.name == f"explorer.bench.{topic}":
                print(f"[bench {topic}] not available in this build")
                continue
            raise
        print(f"=== bench {topic}{' (quick)' if args.quick else ''}")
        status |= int(mod.run(quick=args.quick) or 0)
    return status
