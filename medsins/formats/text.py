"""Text decoding with errors that name the file and line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from medsins.errors import InputError

#: Receives a problem with one item; the reader skips the item and goes on.
OnError = Callable[[InputError], None] | None


def decode(path: Path, data: bytes, encoding: str = "utf-8-sig") -> str:
    """Decode ``data`` strictly; a bad byte is reported with its line number."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            path, f"line {line}", f"not valid {encoding.replace('-sig', '')} text ({exc.reason} at byte {exc.start})"
        ) from None


def read_text(path: Path, encoding: str = "utf-8-sig", *, allow_empty: bool = False) -> str:
    """The whole file as text; empty files are an error unless ``allow_empty``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror}") from None
    if not data.strip() and not allow_empty:
        raise InputError(path, None, "file is empty")
    return decode(path, data, encoding)


def iter_lines(path: Path, encoding: str = "utf-8-sig") -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` without the newline, streaming the file.

    Decoding is strict per line, so an error names the exact line.
    """
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror}") from None
    empty = True
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and encoding == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8" if encoding == "utf-8-sig" else encoding)
            except UnicodeDecodeError as exc:
                raise InputError(path, f"line {number}", f"not valid UTF-8 text ({exc.reason})") from None
            if line.strip():
                empty = False
            yield number, line.rstrip("\r\n")
    if empty:
        raise InputError(path, None, "file is empty")


def report(on_error: OnError, error: InputError) -> None:
    """Send ``error`` to ``on_error``, or raise it when there is no callback."""
    if on_error is None:
        raise error
    on_error(error)
