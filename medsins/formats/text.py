"""Text decoding with errors that name the file and line, and the readers' error policy.

Every reader takes ``on_error``. Without it, the first problem raises. With it
(what converters pass), nothing raises: a bad item is reported and skipped, an
unreadable line or block is reported as an :class:`~medsins.errors.UnreadableError`
and reading goes on with the next one, and a problem that stops the file (a
truncated JSON document, a missing column) is reported with how far the reader
got, so the source's other files are still read.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

from medsins.errors import InputError, UnreadableError
from medsins.limits import beyond, current

#: Receives a problem with one item; the reader skips the item and goes on.
OnError = Callable[[InputError], None] | None

#: What :func:`file_reader` adds to the problem of an error that ended a file.
REST_UNREAD = "; the rest of the file was not read"

_P = ParamSpec("_P")
_T = TypeVar("_T")


def decode(path: Path, data: bytes, encoding: str = "utf-8-sig") -> str:
    """Decode ``data`` strictly; a bad byte is reported with its line number."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableError(
            path, f"line {line}", f"not valid {encoding.replace('-sig', '')} text ({exc.reason} at byte {exc.start})"
        ) from None


def decode_lenient(data: bytes, encoding: str = "utf-8-sig") -> str:
    """Decode ``data`` keeping undecodable bytes as lone surrogates (see :func:`has_bad_bytes`).

    Lets a reader of a format whose items span lines (CSV with quoted newlines)
    parse the whole file and drop only the items that hold a bad byte.
    """
    if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8" if encoding == "utf-8-sig" else encoding, errors="surrogateescape")


def has_bad_bytes(text: str) -> bool:
    """True when ``text`` holds a byte :func:`decode_lenient` could not decode."""
    return any("\udc80" <= ch <= "\udcff" for ch in text) if not text.isascii() else False


def read_bytes(path: Path, *, allow_empty: bool = False) -> bytes:
    """The whole file; unreadable or (unless ``allow_empty``) empty files are an error."""
    path = Path(path)
    limit = current().max_file_bytes
    try:
        with path.open("rb") as handle:
            data = read_at_most(handle, limit)
    except OSError as exc:
        raise UnreadableError(path, None, f"cannot read: {exc.strerror}") from None
    if data is None:
        raise UnreadableError(path, None, beyond("a file read whole", "max_file_bytes", limit))
    if not data.strip() and not allow_empty:
        raise InputError(path, None, "file is empty")
    return data


def read_at_most(handle: IO[bytes], limit: int) -> bytes | None:
    """The rest of ``handle``, or None when it holds more than ``limit`` bytes (not read past it)."""
    if os.fstat(handle.fileno()).st_size - handle.tell() > limit:
        return None
    # Read in blocks, not with read(limit + 1), which allocates the whole limit at once; a
    # pipe, a /proc file or a file still growing is read no further than the limit.
    blocks: list[bytes] = []
    total = 0
    while block := handle.read(1 << 20):
        total += len(block)
        if total > limit:
            return None
        blocks.append(block)
    return b"".join(blocks)


def iter_lines(path: Path, encoding: str = "utf-8-sig", *, on_error: OnError = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` without the newline, streaming the file.

    Decoding is strict per line: a line that is not valid text is reported to
    ``on_error`` (and skipped) or raised, naming the exact line. A line longer
    than the ``max_item_bytes`` limit is reported the same way and skipped
    without being held in memory.
    """
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        report(on_error, UnreadableError(path, None, f"cannot read: {exc.strerror}"))
        return
    empty = True
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    limit = current().max_item_bytes
    with handle:
        for number, raw in enumerate(_bounded_lines(handle, limit), start=1):
            if raw is None:
                empty = False
                report(on_error, UnreadableError(path, f"line {number}", beyond("a line", "max_item_bytes", limit)))
                continue
            if number == 1 and encoding == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode(codec)
            except UnicodeDecodeError as exc:
                empty = False
                name = "UTF-8" if codec == "utf-8" else codec
                report(on_error, UnreadableError(path, f"line {number}", f"not valid {name} text ({exc.reason})"))
                continue
            if line.strip():
                empty = False
            yield number, line.rstrip("\r\n")
    if empty:
        report(on_error, InputError(path, None, "file is empty"))


def _bounded_lines(handle: IO[bytes], limit: int) -> Iterator[bytes | None]:
    """The file's lines as bytes; ``None`` for a line longer than ``limit`` (read past, not kept)."""
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(1 << 20)
            yield None
            continue
        yield raw


def find_files(folder: Path, pattern: str) -> tuple[list[Path], list[InputError]]:
    """Files under ``folder`` (any depth) whose name matches ``pattern``, sorted, and the refused ones.

    A symbolic link that leads outside ``folder`` is not followed: it comes back
    as an :class:`UnreadableError` naming it, so raw files are only ever read
    from the folder the user named. (Directory links are not descended into.)
    """
    folder = Path(folder)
    root = folder.resolve()
    found: list[Path] = []
    refused: list[InputError] = []
    for path in sorted(folder.rglob(pattern)):
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            refused.append(UnreadableError(path, None, "a symbolic link leading outside the raw folder: not followed"))
        elif path.is_file():
            found.append(path)
    return found, refused


def report(on_error: OnError, error: InputError) -> None:
    """Send ``error`` to ``on_error``, or raise it when there is no callback."""
    if on_error is None:
        raise error
    on_error(error)


def file_reader(reader: Callable[_P, Iterator[_T]]) -> Callable[_P, Iterator[_T]]:
    """Apply the error policy to a generator reader that takes ``on_error``.

    With ``on_error``, an :class:`InputError` that ends the file is reported as
    unreadable (with :data:`REST_UNREAD`) instead of propagating into the
    converter, whose other files are then still read.
    """

    @functools.wraps(reader)
    def guarded(*args: Any, **kwargs: Any) -> Iterator[_T]:
        on_error = kwargs.get("on_error")
        try:
            yield from reader(*args, **kwargs)
        except InputError as exc:
            if on_error is None:
                raise
            on_error(UnreadableError.of(exc, REST_UNREAD))

    return guarded  # type: ignore[return-value]


def whole_file(reader: Callable[_P, _T]) -> Callable[_P, _T | None]:
    """Apply the error policy to a reader that returns a whole file's content.

    With ``on_error``, a file that cannot be read is reported as unreadable and
    the reader returns ``None`` (the converter skips the file).
    """

    @functools.wraps(reader)
    def guarded(*args: Any, **kwargs: Any) -> _T | None:
        on_error = kwargs.pop("on_error", None)
        try:
            return reader(*args, **kwargs)
        except InputError as exc:
            if on_error is None:
                raise
            on_error(UnreadableError.of(exc, "; the file was not read"))
            return None

    return guarded


@whole_file
def read_text(path: Path, encoding: str = "utf-8-sig", *, allow_empty: bool = False) -> str:
    """The whole file as text; empty files are an error unless ``allow_empty``.

    With ``on_error=``, an unreadable file is reported and ``None`` returned.
    """
    return decode(path, read_bytes(path, allow_empty=allow_empty), encoding)
