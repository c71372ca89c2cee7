"""JSON documents, JSON Lines, and streamed JSON arrays."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsins.errors import InputError, UnreadableError
from medsins.formats.text import OnError, file_reader, iter_lines, read_text, report, whole_file

#: The problem reported for JSON nested deeper than the parser's recursion limit.
TOO_DEEP = "JSON nested too deeply to parse (more than ~1000 levels of arrays/objects)"


@whole_file
def read_json(path: Path) -> Any:
    """Parse a whole JSON file; syntax errors name the line and column.

    With ``on_error=``, an unreadable file is reported and ``None`` returned.
    """
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # A string that never closes also means the file ended early (a raw newline
        # inside a string is a different error, "Invalid control character").
        at_end = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        problem = "truncated JSON (unexpected end of file)" if at_end else exc.msg
        raise UnreadableError(path, f"line {exc.lineno}, column {exc.colno}", problem) from None
    except RecursionError:  # json recurses per nesting level: "[[[[…" must not crash the reader
        raise UnreadableError(path, None, TOO_DEEP) from None


@file_reader
def read_jsonl(path: Path, *, on_error: OnError = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``("line N", object)`` for each non-blank line of a JSON Lines file.

    A line that is not valid text or not JSON is reported (unreadable) and skipped.
    """
    for number, line in iter_lines(path, on_error=on_error):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            report(on_error, UnreadableError(path, where, f"not a JSON object: {exc.msg} (column {exc.colno})"))
            continue
        except RecursionError:
            report(on_error, UnreadableError(path, where, TOO_DEEP))
            continue
        if not isinstance(value, dict):
            report(on_error, InputError(path, where, f"expected a JSON object, got {type(value).__name__}"))
            continue
        yield where, value


@file_reader
def iter_json_array(path: Path, prefix: str = "item", *, on_error: OnError = None) -> Iterator[tuple[str, Any]]:
    """Stream the items of a (possibly huge) JSON array without loading it whole.

    ``prefix`` is an ijson path: ``"item"`` for a top-level array,
    ``"Instances.item"`` for the array under a top-level key. A truncated or
    malformed file ends after the last complete item; with ``on_error`` that is
    reported (how far the reader got) instead of raised.
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
            raise UnreadableError(path, f"after record {index}", f"truncated or malformed JSON: {exc}") from None
        except UnicodeDecodeError as exc:
            raise UnreadableError(path, f"after record {index}", f"not valid UTF-8 text ({exc.reason})") from None


@dataclass(frozen=True)
class Skipped:
    """Stands for a top-level value :func:`read_json_header` did not build.

    ``kind`` is its JSON type: ``array``, ``object``, ``string``, ``number``,
    ``boolean`` or ``null``.
    """

    kind: str


_START_KIND = {"start_array": "array", "start_map": "object"}
_SCALAR_KIND = {"string": "string", "number": "number", "integer": "number", "double": "number",
                "boolean": "boolean", "null": "null"}


def read_json_header(path: Path, skip: Collection[str] = ("Instances",)) -> dict[str, Any]:
    """The top-level keys of a (possibly huge) JSON object, streamed.

    Every value is built except those of the keys in ``skip``, which are
    streamed past without being held in memory and appear as :class:`Skipped`.
    Use it with :func:`iter_json_array` for files whose small header keys may
    come before or after the big array (Super-NaturalInstructions task files
    put ``Instance License`` after ``Instances``).
    """
    import ijson
    from ijson.common import ObjectBuilder

    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror}") from None
    header: dict[str, Any] = {}
    key = "<start>"
    with handle:
        if not handle.read(1):
            raise InputError(path, None, "file is empty")
        handle.seek(0)
        events = ijson.basic_parse(handle, use_float=True)
        try:
            first = next(events, None)
            if first is None or first[0] != "start_map":
                kind = _START_KIND.get(first[0], "value") if first else "nothing"
                raise InputError(path, None, f"expected a JSON object at the top level, found {kind}")
            for event, value in events:
                if event == "end_map":
                    break
                key = value  # a map_key: the next event starts its value
                start, start_value = next(events)
                if start not in _START_KIND:
                    header[key] = Skipped(_SCALAR_KIND[start]) if key in skip else start_value
                    continue
                builder = None if key in skip else ObjectBuilder()
                depth = 0
                for inner, inner_value in _value_events(start, start_value, events):
                    depth += inner in _START_KIND
                    depth -= inner in ("end_array", "end_map")
                    if builder is not None:
                        builder.event(inner, inner_value)
                    if depth == 0:
                        break
                header[key] = Skipped(_START_KIND[start]) if builder is None else builder.value
        except ijson.JSONError as exc:
            reason = str(exc).splitlines()[0].strip() if str(exc).strip() else type(exc).__name__
            what = "not valid UTF-8 text" if "utf8" in reason.lower() else "truncated or malformed JSON"
            raise UnreadableError(path, f"in key {key!r}", f"{what}: {reason}") from None
        except StopIteration:
            raise UnreadableError(path, f"in key {key!r}", "truncated JSON (unexpected end of file)") from None
        except UnicodeDecodeError as exc:
            raise UnreadableError(path, f"in key {key!r}", f"not valid UTF-8 text ({exc.reason})") from None
    return header


def _value_events(
    start: str, start_value: Any, events: Iterator[tuple[str, Any]]
) -> Iterator[tuple[str, Any]]:
    yield start, start_value
    yield from events
