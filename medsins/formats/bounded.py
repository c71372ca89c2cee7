"""Byte streams that enforce :mod:`medsins.limits` while a parser reads them.

A parser (ijson, expat, lxml, the csv module) holds a whole token before it
yields anything: a 3 GB string, text node or line is in memory before any
check on the parsed value could run. These wrappers count the bytes as they
are read and raise :class:`~medsins.errors.UnreadableError` the moment a
limit is passed, so memory stays a small multiple of the limit whatever the
input:

* :class:`BoundedStream` counts the bytes read (in total and since the last
  :meth:`~BoundedStream.mark`), the longest run without a separator byte (the
  text between two ``<`` of XML is one text node or tag), and the ratio of
  decompressed to compressed bytes of a compressed stream.
* :func:`open_member` opens a zip member after checking its declared sizes
  (which :mod:`zipfile` enforces: a member never yields more than it
  declares, and a member that lies about its size fails its CRC check).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from medsins import limits as limits_module
from medsins.errors import UnreadableError
from medsins.limits import Limits, beyond, size


class BoundedStream(io.RawIOBase):
    """A read-only stream over ``raw`` that raises once ``raw`` exceeds a limit.

    Args:
        raw: the (decompressed) byte stream.
        path: the file, for messages.
        what: how the stream is named in messages (``"member xl/sharedStrings.xml"``).
        max_total: most bytes the whole stream may yield (``None``: no bound).
        total_limit: the :class:`Limits` field behind ``max_total`` (for the message).
        max_item: most bytes between two :meth:`mark` calls (``None``: no bound).
        run_separator: a byte whose absence over more than ``limits.max_item_bytes``
            bytes is an error (``b"<"`` for XML: one text node or tag).
        compressed: returns how many compressed bytes were consumed so far; with
            it the decompression ratio is checked.
    """

    def __init__(
        self,
        raw: IO[bytes],
        path: Path,
        *,
        what: str = "file",
        max_total: int | None = None,
        total_limit: str = "max_member_bytes",
        max_item: int | None = None,
        run_separator: bytes | None = None,
        compressed: Callable[[], int] | None = None,
        limits: Limits | None = None,
    ) -> None:
        super().__init__()
        self.raw = raw
        self.path = Path(path)
        self.what = what
        self.limits = limits or limits_module.current()
        self.max_total = max_total
        self.total_limit = total_limit
        self.max_item = max_item
        self.run_separator = run_separator
        self.compressed = compressed
        self.total = 0
        self.item_start = 0
        self.run = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        if not data:
            return 0
        count = len(data)
        buffer[:count] = data
        self.total += count
        self._check(data)
        return count

    def mark(self) -> None:
        """Start a new item: :attr:`max_item` counts from here."""
        self.item_start = self.total

    @property
    def item_bytes(self) -> int:
        """Bytes read since the last :meth:`mark`."""
        return self.total - self.item_start

    def _check(self, data: bytes) -> None:
        limits = self.limits
        if self.max_total is not None and self.total > self.max_total:
            self._fail(beyond(f"{self.what} expands", self.total_limit, self.max_total))
        if self.max_item is not None and self.item_bytes > self.max_item:
            self._fail(beyond("an item", "max_item_bytes", self.max_item))
        if self.run_separator is not None:
            cut = data.rfind(self.run_separator)
            self.run = len(data) - cut - 1 if cut >= 0 else self.run + len(data)
            if self.run > limits.max_item_bytes:
                self._fail(beyond("a text run (one cell, text node or tag)", "max_item_bytes", limits.max_item_bytes))
        if self.compressed is not None and self.total > limits.ratio_floor_bytes:
            packed = max(1, self.compressed())
            if self.total > packed * limits.max_ratio:
                self._fail(
                    f"{self.what} expands {self.total // packed}-fold ({size(self.total)} from {size(packed)}), "
                    + beyond("a compression ratio", "max_ratio", limits.max_ratio, unit="to 1")
                )

    def _fail(self, problem: str) -> None:
        raise UnreadableError(self.path, f"byte {self.total:,} of the {self.what}", problem)

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


def open_gzip(path: Path, *, run_separator: bytes | None = None, limits: Limits | None = None) -> io.BufferedReader:
    """A ``.gz`` file decompressed on the fly, within the size and ratio limits."""
    limits = limits or limits_module.current()
    packed = Path(path).open("rb")  # noqa: SIM115 (closed with the returned stream)
    stream = BoundedStream(
        gzip.GzipFile(fileobj=packed, mode="rb"), path, what="decompressed data",
        max_total=limits.max_member_bytes, run_separator=run_separator, compressed=packed.tell, limits=limits,
    )
    return io.BufferedReader(_ClosingBoth(stream, packed))


def check_member(path: Path, info: zipfile.ZipInfo, *, limits: Limits | None = None,
                 max_total: int | None = None, total_limit: str = "max_member_bytes") -> None:
    """Refuse a zip member whose declared size or compression ratio is beyond the limits."""
    limits = limits or limits_module.current()
    bound = limits.max_member_bytes if max_total is None else max_total
    where = f"member {info.filename}"
    if info.file_size > bound:
        raise UnreadableError(path, where, beyond(f"declares {size(info.file_size)},", total_limit, bound))
    if info.file_size > limits.ratio_floor_bytes and info.file_size > max(1, info.compress_size) * limits.max_ratio:
        ratio = info.file_size // max(1, info.compress_size)
        raise UnreadableError(
            path, where,
            f"expands {ratio}-fold ({size(info.file_size)} from {size(info.compress_size)}), "
            + beyond("a compression ratio", "max_ratio", limits.max_ratio, unit="to 1"),
        )


def open_member(
    archive: zipfile.ZipFile, path: Path, name: str | zipfile.ZipInfo, *, run_separator: bytes | None = None,
    max_total: int | None = None, total_limit: str = "max_member_bytes", limits: Limits | None = None,
) -> io.BufferedReader:
    """Open a zip member for reading, checking its declared sizes first and its bytes as they come."""
    limits = limits or limits_module.current()
    info = name if isinstance(name, zipfile.ZipInfo) else archive.getinfo(name)
    check_member(path, info, limits=limits, max_total=max_total, total_limit=total_limit)
    stream = BoundedStream(
        archive.open(info), path, what=f"member {info.filename}",
        max_total=limits.max_member_bytes if max_total is None else max_total, total_limit=total_limit,
        run_separator=run_separator, limits=limits,
    )
    return io.BufferedReader(stream)


class _ClosingBoth(io.RawIOBase):
    """``stream``, closing ``also`` (the compressed file under it) with it."""

    def __init__(self, stream: BoundedStream, also: IO[bytes]) -> None:
        super().__init__()
        self.stream = stream
        self.also = also

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        return self.stream.readinto(buffer)

    def close(self) -> None:
        try:
            self.stream.close()
            self.also.close()
        finally:
            super().close()
