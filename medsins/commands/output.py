"""Printing helpers shared by the sub-commands: JSON on stdout, tables for people.

Text that reaches the terminal passes through :func:`printable`: names of raw
files, folders and records come from outside and may hold ESC or newlines,
which must never act on the terminal (escape injection) or split a message.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any

#: Characters shown escaped: C0/C1 controls and DEL, line/paragraph separators,
#: and the bidirectional overrides and isolates that can reorder what is shown.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``str(text)`` with control characters escaped (ESC → ``\\x1b``, newline → ``\\n``).

    Ordinary non-ASCII text (é, 中) is kept as it is.

    Example:
        >>> printable("a\\x1b[31mb\\nc é")
        'a\\\\x1b[31mb\\\\nc é'
    """
    return _UNPRINTABLE.sub(_escape, str(text))


def print_json(data: Any) -> None:
    """Machine-readable output: JSON and nothing else on stdout."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    sys.stdout.write("\n")


def print_table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table for humans (rich when on a terminal, plain aligned text otherwise)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # Cells are data, not rich markup: a file name like "[red]x" must show as it is.
    table = Table(title=None if title is None else escape(printable(title)), show_lines=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else escape(printable(cell)) for cell in row))
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)


def error(message: str) -> None:
    """One clear line on stderr (control characters escaped)."""
    print(f"medsins: error: {printable(message)}", file=sys.stderr)


def warning(message: str) -> None:
    """One warning line on stderr (control characters escaped)."""
    print(f"medsins: warning: {printable(message)}", file=sys.stderr)
