"""The ``medsins`` command line.

Every sub-command lives in :mod:`medsins.commands`. Errors the user can cause
are printed as one line on stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from medsins import __version__
from medsins.commands import bench, build, catalog, check, convert, ledger, push, scaffold
from medsins.commands.output import error
from medsins.errors import MedsinsError

#: Sub-command modules, in help order.
COMMANDS = (catalog, convert, check, scaffold, build, ledger, push, bench)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, like every other error
        error(f"{message} (see: {self.prog} --help)")
        raise SystemExit(2)


def make_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = _Parser(prog="medsins", description="Build, check and publish the MedS-Ins medical instruction dataset.")
    parser.add_argument("--version", action="version", version=f"medsins {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = make_parser().parse_args(argv)
    if not sys.stderr.isatty():  # `datasets` progress bars only on a terminal
        os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    try:
        return int(args.func(args) or 0)
    except MedsinsError as exc:
        error(str(exc))
        return 1
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except BrokenPipeError:  # `medsins tasks | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
