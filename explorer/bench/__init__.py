"""``python -m explorer bench [bp|exact|gnn|oversmooth|ui|serve|panel]``: speed and memory figures.

Benchmarks print figures and ratios against a baseline run *in the same process*; they never
pass or fail (the test suite has no timed assertions). Each topic lives in its own module
``explorer.bench.<topic>`` with a ``run(quick: bool) -> int`` function (``serve`` also takes the
parsed arguments, for ``--sessions`` and ``--churn``).

``bench`` with no topic runs :data:`DEFAULT_TOPICS`; the heavy topics in :data:`EXPLICIT_ONLY`
(``serve``: a server and 230 sessions, minutes on 2 cores; ``panel``: the server's CPU time
per player step) run only when named.
"""

from __future__ import annotations

import argparse
import importlib
import inspect

TOPICS = ("bp", "exact", "gnn", "oversmooth", "ui", "serve", "panel")
#: topics that run only when named on the command line
EXPLICIT_ONLY = ("serve", "panel")
DEFAULT_TOPICS = tuple(t for t in TOPICS if t not in EXPLICIT_ONLY)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"expected 1 to 10000, found {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("topics", nargs="*", metavar="TOPIC",
                        help=f"which benchmarks to run: {', '.join(TOPICS)} (default: "
                             f"{', '.join(DEFAULT_TOPICS)}; {', '.join(EXPLICIT_ONLY)} only "
                             "when named)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes, for a smoke run in seconds (figures not comparable)")
    parser.add_argument("--sessions", type=_positive, default=None,
                        help="serve: concurrent sessions (default 30; 6 with --quick)")
    parser.add_argument("--churn", type=_positive, default=None,
                        help="serve: sessions opened and closed in turn (default 200; 20 with "
                             "--quick)")
    parser.add_argument("--alone", action="store_true",
                        help="serve: only the baseline (each scenario alone) with the server's "
                             "CPU per action; no concurrent or churn phase")
    parser.add_argument("--repeat", type=_positive, default=None,
                        help="serve: rounds of the baseline (default 1)")


def run(args: argparse.Namespace) -> int:
    status = 0
    unknown = [t for t in args.topics if t not in TOPICS]
    if unknown:
        print(f"error: unknown benchmark {unknown[0]!r}; expected one of {', '.join(TOPICS)}")
        return 2
    for topic in args.topics or DEFAULT_TOPICS:
        try:
            mod = importlib.import_module(f"explorer.bench.{topic}")
        except ModuleNotFoundError as e:
            if e.name == f"explorer.bench.{topic}":
                print(f"[bench {topic}] not available in this build")
                continue
            raise
        print(f"=== bench {topic}{' (quick)' if args.quick else ''}")
        extra = {"args": args} if "args" in inspect.signature(mod.run).parameters else {}
        status |= int(mod.run(quick=args.quick, **extra) or 0)
    return status
