"""The ``medsins`` command line.

Every sub-command lives in :mod:`medsins.commands`. Errors the user can cause
are printed as one line on stderr with a non-zero exit, never a traceback:
:class:`~medsins.errors.MedsinsError` messages, and ``OSError`` (a permission,
a full disk, a read-only file system) as ``<path>: <reason>``. Every line
printed has its control characters escaped (:func:`~medsins.commands.output.printable`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from medsins import __version__, limits
from medsins.commands import bench, build, catalog, check, convert, ledger, push, scaffold
from medsins.commands.output import error, warning
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


def os_error_message(exc: OSError) -> str:
    """``<path>: <reason>`` of an OS error (``<path> -> <other path>: <reason>`` for a rename)."""
    if exc.filename is None:
        return str(exc)  # e.g. pyarrow's IO errors, which name the file in their text
    where = _path_text(exc.filename)
    if exc.filename2 is not None:
        where += f" -> {_path_text(exc.filename2)}"
    return f"{where}: {exc.strerror or exc}"


def _path_text(name: object) -> str:
    return os.fsdecode(name) if isinstance(name, (str, bytes, os.PathLike)) else str(name)


class _WarningLines(logging.Handler):
    """Warnings logged by medsins as ``medsins: warning: …`` lines (escaped)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            warning(record.getMessage())
        except Exception:  # a handler must never raise
            self.handleError(record)


@contextmanager
def _escaped_warnings() -> Iterator[None]:
    """Python warnings and the ``medsins`` loggers' warnings as one escaped line each."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        prefix = "" if category is UserWarning else f"{category.__name__}: "
        warning(f"{prefix}{message}")

    saved: Any = warnings.showwarning
    handler = _WarningLines(logging.WARNING)
    logger = logging.getLogger("medsins")
    warnings.showwarning = show
    logger.addHandler(handler)
    try:
        yield
    finally:
        warnings.showwarning = saved
        logger.removeHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = make_parser().parse_args(argv)
    if not sys.stderr.isatty():  # `datasets` progress bars only on a terminal
        os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    with _escaped_warnings():
        try:
            with limits.applied(limits.parse(getattr(args, "reader_limits", None) or [])):
                return int(args.func(args) or 0)
        except MedsinsError as exc:
            error(str(exc))
            return 1
        except KeyboardInterrupt:
            error("interrupted")
            return 130
        except BrokenPipeError:  # `medsins tasks | head`
            return 0
        except OSError as exc:  # permissions, a full disk, a read-only file system: the path and why
            error(os_error_message(exc))
            return 1


if __name__ == "__main__":
    sys.exit(main())
