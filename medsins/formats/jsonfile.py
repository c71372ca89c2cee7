"""JSON documents, JSON Lines, and streamed JSON arrays."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsins.errors import InputError, UnreadableError
from medsins.formats.bounded import BoundedStream
from medsins.formats.text import OnError, file_reader, iter_lines, read_text, report, whole_file
from medsins.limits import Limits, beyond, current

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
    reported (how far the reader got) instead of raised. Within
    :mod:`medsins.limits`: an item nested deeper than ``max_depth`` is reported
    and skipped; an item larger than ``max_item_bytes`` (or nesting outside the
    items beyond ``max_depth``) ends the file, reported.
    """
    from ijson.common import ObjectBuilder

    path = Path(path)
    limits = current()
    target = tuple(prefix.split("."))
    index = 0
    with _open_stream(path, limits) as stream:
        events = _basic_events(stream)
        stack: list[str | None] = []  # per open container: "item" (array) or its current key (object)
        try:
            for event, value in events:
                if event == "map_key":
                    stack[-1] = value
                    continue
                if event in ("end_map", "end_array"):
                    stack.pop()
                    continue
                at_target = len(stack) == len(target) and tuple(stack) == target
                if not at_target:
                    if event in _START_KIND:
                        stack.append("item" if event == "start_array" else None)
                        if len(stack) > limits.max_depth:
                            raise UnreadableError(path, f"after record {index}", _too_deep(limits))
                    continue
                where = f"record {index + 1}"
                if event not in _START_KIND:
                    index += 1
                    yield where, value
                    stream.mark()
                    continue
                builder = ObjectBuilder()
                builder.event(event, value)
                built = _build_item(builder, events, limits.max_depth)
                index += 1
                if built:
                    yield where, builder.value
                else:
                    report(on_error, InputError(path, where, _too_deep(limits)))
                stream.mark()
        except ijson_errors() as exc:
            raise UnreadableError(path, f"after record {index}", _json_problem(exc)) from None
        except UnicodeDecodeError as exc:
            raise UnreadableError(path, f"after record {index}", f"not valid UTF-8 text ({exc.reason})") from None


def _too_deep(limits: Limits) -> str:
    return beyond("JSON nested", "max_depth", limits.max_depth, unit="levels")


def _build_item(builder: Any, events: Iterator[tuple[str, Any]], max_depth: int) -> bool:
    """Feed one container item's events to ``builder``; False (item consumed, not built) when too deep."""
    depth = 1
    building = True
    for event, value in events:
        if event in _START_KIND:
            depth += 1
            if depth > max_depth:
                building = False
        elif event in ("end_map", "end_array"):
            depth -= 1
        if building:
            builder.event(event, value)
        if depth == 0:
            return building
    raise _Truncated()


class _Truncated(Exception):
    """The events ended inside an item: the file is truncated."""


def ijson_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a truncated or malformed document raises while streamed."""
    import ijson

    return (ijson.JSONError, ijson.IncompleteJSONError, _Truncated)


def _json_problem(exc: BaseException) -> str:
    if isinstance(exc, _Truncated):
        return "truncated JSON (unexpected end of file)"
    reason = str(exc).splitlines()[0].strip() if str(exc).strip() else type(exc).__name__
    if "utf8" in reason.lower() or "utf-8" in reason.lower():
        return f"not valid UTF-8 text: {reason}"
    return f"truncated or malformed JSON: {reason}"


@contextmanager
def _open_stream(path: Path, limits: Limits) -> Iterator[BoundedStream]:
    """The file as a :class:`BoundedStream` past any UTF-8 byte-order mark; empty files are an error."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise UnreadableError(path, None, f"cannot read: {exc.strerror}") from None
    with handle:
        head = handle.read(3)
        if not head:
            raise InputError(path, None, "file is empty")
        handle.seek(3 if head == b"\xef\xbb\xbf" else 0)
        stream = BoundedStream(handle, path, what="file", max_item=limits.max_item_bytes, limits=limits)
        yield stream


def _basic_events(stream: BoundedStream) -> Iterator[tuple[str, Any]]:
    import ijson

    return ijson.basic_parse(stream, use_float=True)


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
    from ijson.common import ObjectBuilder

    path = Path(path)
    limits = current()
    header: dict[str, Any] = {}
    key = "<start>"
    with _open_stream(path, limits) as stream:
        events = _basic_events(stream)
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
                stream.mark()
                if start not in _START_KIND:
                    header[key] = Skipped(_SCALAR_KIND[start]) if key in skip else start_value
                    continue
                builder = ObjectBuilder()
                builder.event(start, start_value)
                if key in skip:  # streamed past; only its size in one item is not bounded
                    stream.max_item = None
                    _build_item(_Discard(), events, limits.max_depth)
                    stream.max_item = limits.max_item_bytes
                    header[key] = Skipped(_START_KIND[start])
                elif _build_item(builder, events, limits.max_depth):
                    header[key] = builder.value
                else:
                    raise UnreadableError(path, f"in key {key!r}", _too_deep(limits))
        except ijson_errors() as exc:
            raise UnreadableError(path, f"in key {key!r}", _json_problem(exc)) from None
        except StopIteration:
            raise UnreadableError(path, f"in key {key!r}", "truncated JSON (unexpected end of file)") from None
        except UnicodeDecodeError as exc:
            raise UnreadableError(path, f"in key {key!r}", f"not valid UTF-8 text ({exc.reason})") from None
    return header


class _Discard:
    """An ObjectBuilder stand-in that keeps nothing (a skipped key's value)."""

    def event(self, event: str, value: Any) -> None:
        pass
