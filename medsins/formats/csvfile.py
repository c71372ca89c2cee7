"""CSV / TSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from medsins.errors import InputError, UnreadableError
from medsins.formats.bounded import BoundedStream, open_gzip, open_member
from medsins.formats.text import OnError, decode_lenient, file_reader, has_bad_bytes, read_bytes, report
from medsins.limits import current


@file_reader
def read_csv(
    path: Path,
    *,
    required: Sequence[str] = (),
    fieldnames: Sequence[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    quoting: int = csv.QUOTE_MINIMAL,
    on_error: OnError = None,
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``("line N", row)`` dicts.

    With ``fieldnames`` the file has no header row. ``required`` columns must
    all be present (else the whole file is an error); a row with the wrong
    number of fields goes to ``on_error``. ``quoting=csv.QUOTE_NONE`` reads
    files whose fields hold literal ``"`` characters and are never quoted
    (many TSV releases). A row holding bytes that are not valid text is
    reported as unreadable and skipped; the rest of the file is still read.
    """
    _allow_large_fields()
    text = decode_lenient(read_bytes(path), encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    try:
        header = list(fieldnames) if fieldnames is not None else next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InputError(path, "line 1", f"cannot read header: {exc}") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, "line 1", f"missing column(s) {', '.join(missing)}; found {', '.join(header)}")
    for _, row in _rows(reader, path, on_error, encoding):
        where = f"line {reader.line_num}"  # the line the row ends on (ids built from it stay stable)
        if len(row) != len(header):
            report(on_error, InputError(path, where, f"expected {len(header)} fields, found {len(row)}"))
            continue
        yield where, dict(zip(header, row, strict=True))


def _allow_large_fields() -> None:
    # Clinical notes and multi-document inputs (MS²) hold far more than the csv module's
    # default 128 KiB per field; the bound is the item limit (the csv module's is process-wide).
    csv.field_size_limit(current().max_item_bytes)


def _rows(reader: Any, path: Path, on_error: OnError, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """``(first line, row)`` for the non-blank rows; a malformed row goes to ``on_error`` and reading goes on.

    The csv reader resets itself after an error, so one bad row (an over-long field, a
    NUL byte) costs only that row; without ``on_error`` the first one raises. The text
    was decoded with :func:`~medsins.formats.text.decode_lenient`: a row holding an
    undecodable byte is unreadable.
    """
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report(on_error, UnreadableError(path, f"line {reader.line_num}", f"malformed CSV: {exc}"))
            continue
        if any(has_bad_bytes(cell) for cell in row):
            name = "UTF-8" if encoding.startswith("utf-8") else encoding
            report(on_error, UnreadableError(path, f"line {start}", f"not valid {name} text"))
            continue
        if any("\x00" in cell for cell in row):  # binary garbage: the csv module accepts NUL since 3.11
            report(on_error, UnreadableError(path, f"line {start}", "holds a NUL byte (binary data, not text)"))
            continue
        if any(cell.strip() for cell in row):
            yield start, row


@file_reader
def stream_csv(
    path: Path,
    *,
    required: Sequence[str] = (),
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    member: str | None = None,
    on_error: OnError = None,
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``("line N", row)`` dicts from a CSV file without loading it whole.

    For multi-GB exports (MIMIC notes, DDXPlus patients). ``path`` may be plain,
    gzip-compressed (``.gz``, as PhysioNet ships MIMIC) or a ``.zip`` archive
    holding one CSV (``member`` names it when there are several). ``N`` is the
    physical line where the row starts, so quoted multi-line fields keep the
    right number. The header must hold every ``required`` column (else the whole
    file is an error); a row with the wrong number of fields goes to ``on_error``.
    """
    import zipfile

    path = Path(path)
    _allow_large_fields()
    limits = current()
    try:
        # A run of bytes without a newline longer than an item is refused as it streams
        # (the text layer would otherwise hold a 3 GB "line" before the csv module sees it).
        if path.suffix == ".gz":
            raw: IO[bytes] = open_gzip(path, run_separator=b"\n")
        elif path.suffix == ".zip":
            archive = zipfile.ZipFile(path)
            names = [n for n in archive.namelist() if not n.endswith("/")]
            chosen = member if member is not None else (names[0] if len(names) == 1 else None)
            if chosen is None or chosen not in names:
                raise InputError(path, None, f"cannot tell which member to read among {', '.join(names) or 'none'}")
            raw = open_member(archive, path, chosen, run_separator=b"\n")
        else:
            raw = io.BufferedReader(BoundedStream(path.open("rb"), path, run_separator=b"\n", limits=limits))
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(path, None, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    with raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        try:
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                raise InputError(path, None, "file is empty") from None
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(
                    path, "line 1", f"missing column(s) {', '.join(missing)}; found {', '.join(header)}"
                )
            for start, row in _rows(reader, path, on_error, encoding):
                where = f"line {start}"
                if len(row) != len(header):
                    report(on_error, InputError(path, where, f"expected {len(header)} fields, found {len(row)}"))
                    continue
                yield where, dict(zip(header, row, strict=True))
        except csv.Error as exc:  # the header row
            raise InputError(path, f"line {reader.line_num}", f"malformed CSV: {exc}") from None
        except UnicodeDecodeError as exc:  # an encoding without surrogateescape support
            raise UnreadableError(path, f"after line {reader.line_num}", f"not valid text ({exc.reason})") from None
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise UnreadableError(path, f"after line {reader.line_num}", f"truncated or corrupt file: {exc}") from None
