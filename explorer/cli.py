"""The command line: ``python -m explorer COMMAND ...`` over the same engines as the app.

Each command lives next to the code it drives, in a module that defines two functions:

    add_arguments(parser: argparse.ArgumentParser, command: str) -> None
    run(args: argparse.Namespace) -> int          # the exit status

This file only routes. Modules are imported lazily, so ``python -m explorer samples`` does not
pay for importing torch. Any :class:`~explorer.errors.ExplorerError` is printed to stderr as
``error: <message>`` with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from explorer.errors import ExplorerError

#: command -> (module defining add_arguments/run for it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "samples": ("explorer.io.commands", "list the sample graphs and models"),
    "show": ("explorer.io.commands", "summarise a graph file or sample"),
    "exact": ("explorer.pgm.commands", "exact marginals, MAP and log Z on a clique tree"),
    "bp": ("explorer.pgm.commands", "belief propagation (sum- or max-product) on a model"),
    "gnn": ("explorer.nn.commands", "run a neural message-passing stack on a graph"),
    "oversmooth": ("explorer.diagnostics.commands", "over-smoothing metrics per layer of a deep stack"),
    "export": ("explorer.viz.commands", "write a standalone offline HTML animation of a run"),
    "bench": ("explorer.bench", "speed and memory figures (bp, gnn, oversmooth, ui); never pass/fail"),
}


def _module(command: str):
    name = COMMANDS[command][0]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and name.startswith(e.name):
            return None
        raise


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m explorer",
        description="Message Passing Explorer on the command line. MODEL and GRAPH are a file "
                    "path or a sample name (see `samples`).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    # Only the chosen command's module is imported (the others may pull in torch).
    chosen = next((a for a in (argv or []) if not a.startswith("-")), None)
    for command, (_, help_) in COMMANDS.items():
        p = sub.add_parser(command, help=help_, description=help_)
        if command == chosen:
            mod = _module(command)
            if mod is not None:
                mod.add_arguments(p, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    mod = _module(args.command)
    if mod is None:
        print(f"error: the '{args.command}' command is not available in this build", file=sys.stderr)
        return 2
    try:
        return int(mod.run(args) or 0)
    except ExplorerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e.strerror or e} ({e.filename or 'file'}); check the path and permissions",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
