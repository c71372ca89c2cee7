"""Printing helpers shared by the sub-commands: JSON on stdout, tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_json(data: Any) -> None:
    """Machine-readable output: JSON and nothing else on stdout."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    sys.stdout.write("\n")


def print_table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table for humans (rich when on a terminal, plain aligned text otherwise)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)


def error(message: str) -> None:
    """One clear line on stderr."""
    print(f"medsins: error: {message}", file=sys.stderr)
