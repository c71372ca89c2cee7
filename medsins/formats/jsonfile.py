"""JSON documents, JSON Lines, and streamed JSON arrays."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats.text import OnError, iter_lines, read_text, report


def read_json(path: Path) -> Any:
    """Parse a whole JSON file; syntax errors name the line and column."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = "truncated JSON (unexpected end of file)" if exc.pos >= len(text.rstrip()) else exc.msg
        raise InputError(path, f"line {exc.lineno}, column {exc.colno}", problem) from None


def read_jsonl(path: Path, *, on_error: OnError = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``("line N", object)`` for each non-blank line of a JSON Lines file."""
    for number, line in iter_lines(path):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            report(on_error, InputError(path, where, f"not a JSON object: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(value, dict):
            report(on_error, InputError(path, where, f"expected a JSON object, got {type(value).__name__}"))
            continue
        yield where, value


def iter_json_array(path: Path, prefix: str = "item") -> Iterator[tuple[str, Any]]:
    """Stream the items of a (possibly huge) JSON array without loading it whole.

    ``prefix`` is an ijson path: ``"item"`` for a top-level array,
    ``"Instances.item"`` for the array under a top-level key.
    """
    import ijson

    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror}") from None
    with handle:
        if not handle.read(1):
            raise InputError(path, None, "file is empty")
        handle.seek(0)
        index = 0
        try:
            for index, item in enumerate(ijson.items(handle, prefix, use_float=True), start=1):
                yield f"record {index}", item
        except ijson.JSONError as exc:
            raise InputError(path, f"after record {index}", f"truncated or malformed JSON: {exc}") from None
        except UnicodeDecodeError as exc:
            raise InputError(path, f"after record {index}", f"not valid UTF-8 text ({exc.reason})") from None
