"""The ``planner`` command: a thin layer over the public API."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from planner.cli import backtest as backtest_commands
from planner.cli import forecast as forecast_commands
from planner.cli import lots as lot_commands
from planner.cli import run as run_commands
from planner.cli import solve as solve_commands
from planner.cli.common import EXIT_FAILED, EXIT_INVALID


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(EXIT_INVALID)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="planner", description="Production-plan optimisation engine.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    run_commands.add_parsers(sub)
    solve_commands.add_parsers(sub)
    lot_commands.add_parsers(sub)
    forecast_commands.add_parsers(sub)
    backtest_commands.add_parsers(sub)
    return parser


def _version() -> str:
    try:
        return metadata.version("factory-planner")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 no feasible plan, 2 invalid input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    try:
        return int(args.handler(args))
    except Exception as error:  # never a traceback for the user
        if os.environ.get("PLANNER_DEBUG"):
            raise
        sys.stderr.write(
            f"internal error: {type(error).__name__}: {error} (set PLANNER_DEBUG=1 for details)\n"
        )
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
