"""CSV / TSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from medsins.errors import InputError
from medsins.formats.text import OnError, read_text, report


def read_csv(
    path: Path,
    *,
    required: Sequence[str] = (),
    fieldnames: Sequence[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    on_error: OnError = None,
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``("line N", row)`` dicts.

    With ``fieldnames`` the file has no header row. ``required`` columns must
    all be present (else the whole file is an error); a row with the wrong
    number of fields goes to ``on_error``.
    """
    text = read_text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = list(fieldnames) if fieldnames is not None else next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InputError(path, "line 1", f"cannot read header: {exc}") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, "line 1", f"missing column(s) {', '.join(missing)}; found {', '.join(header)}")
    try:
        for row in reader:
            where = f"line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                report(on_error, InputError(path, where, f"expected {len(header)} fields, found {len(row)}"))
                continue
            yield where, dict(zip(header, row, strict=True))
    except csv.Error as exc:
        raise InputError(path, f"line {reader.line_num}", f"malformed CSV: {exc}") from None
