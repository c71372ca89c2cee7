"""Excel workbooks (openpyxl, read-only streaming)."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from medsins.errors import InputError, UnreadableError
from medsins.formats.bounded import open_member
from medsins.formats.text import OnError, file_reader
from medsins.limits import current

_T = TypeVar("_T")


class _BoundedZip(zipfile.ZipFile):
    """A workbook archive whose members are read within :mod:`medsins.limits`.

    openpyxl reads every part through ``open``/``read`` of its archive, so the
    checks happen as it streams: a member's declared size and compression ratio
    before the first byte, its text runs (one cell, one tag) as they come. The
    shared strings, which openpyxl holds whole, have their own, smaller bound.
    """

    def open(self, name: Any, mode: str = "r", pwd: bytes | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if mode != "r":
            return super().open(name, mode, pwd, **kwargs)
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        shared = info.filename.lower().endswith("sharedstrings.xml")
        limits = current()
        return open_member(
            _Opener(self, pwd), Path(str(self.filename)), info, run_separator=b"<",
            max_total=limits.max_shared_strings_bytes if shared else None,
            total_limit="max_shared_strings_bytes" if shared else "max_member_bytes",
        )


class _Opener:
    """What :func:`open_member` needs of an archive: ``getinfo`` and the unchecked ``open``."""

    def __init__(self, archive: _BoundedZip, pwd: bytes | None) -> None:
        self.archive = archive
        self.pwd = pwd

    def getinfo(self, name: str) -> zipfile.ZipInfo:
        return self.archive.getinfo(name)

    def open(self, info: zipfile.ZipInfo) -> Any:
        return zipfile.ZipFile.open(self.archive, info, "r", self.pwd)


def _open(path: Path) -> Any:
    from openpyxl.reader.excel import ExcelReader

    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "file does not exist")
    if path.stat().st_size == 0:
        raise InputError(path, None, "file is empty")
    try:
        reader = ExcelReader(path, read_only=True, data_only=True)
        reader.archive.close()
        reader.archive = _BoundedZip(path)
        reader.read()
        return reader.wb
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        raise InputError(path, None, f"not a readable .xlsx workbook: {_one_line(exc)}") from None


#: What a damaged workbook raises from openpyxl, zipfile, zlib and the XML parser while rows stream.
_DAMAGE = (zipfile.BadZipFile, zlib.error, SyntaxError, KeyError, ValueError, OSError, EOFError, IndexError,
           TypeError, AttributeError)


@contextmanager
def _rows_of(path: Path, where: Callable[[], str]) -> Iterator[None]:
    """Turn a damaged part met while streaming rows into one unreadable spot (after the rows read)."""
    try:
        yield
    except InputError:
        raise
    except _DAMAGE as exc:
        raise UnreadableError(path, where(), f"damaged workbook: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, InputError):  # openpyxl wraps errors raised while it reads a part
        raise cause
    return str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__


def sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook."""
    book = _open(path)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _guarded(rows: Iterator[tuple[str, _T]], path: Path) -> Iterator[tuple[str, _T]]:
    last = "before the first row"
    with _rows_of(path, lambda: last):
        for where, row in rows:
            last = f"after {where}"
            yield where, row


@file_reader
def read_xlsx(
    path: Path,
    *,
    sheet: str | None = None,
    required: Sequence[str] = (),
    rename: Callable[[str], str] | None = None,
    on_error: OnError = None,
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``("sheet S, row N", row)`` for each non-empty row under the header row.

    Cells are strings (``""`` for empty). ``rename`` maps each header cell to
    the column name used in the rows and in ``required`` (e.g. to accept
    ``Input`` for ``input``). Missing ``required`` columns are an error naming
    the sheet. A workbook damaged past the rows read so far is one unreadable spot.
    """
    return _guarded(_read_xlsx(path, sheet, required, rename), path)


def _read_xlsx(
    path: Path, sheet: str | None, required: Sequence[str], rename: Callable[[str], str] | None,
) -> Iterator[tuple[str, dict[str, str]]]:
    book = _open(path)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(path, None, f"no sheet {sheet!r}; found {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise InputError(path, f"sheet {ws.title}", "sheet is empty")
        header = [_cell(h).strip() for h in header_row]
        if rename is not None:
            header = [rename(h) if h else h for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(
                path, f"sheet {ws.title}, row 1",
                f"missing column(s) {', '.join(missing)}; found {', '.join(h for h in header if h)}",
            )
        for number, values in enumerate(rows, start=2):
            cells = [_cell(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            cells += [""] * (len(header) - len(cells))
            yield f"sheet {ws.title}, row {number}", {h: c for h, c in zip(header, cells, strict=False) if h}
    finally:
        book.close()


@file_reader
def read_xlsx_rows(
    path: Path, *, sheet: str | None = None, on_error: OnError = None
) -> Iterator[tuple[str, list[str]]]:
    """Yield ``("sheet S, row N", cells)`` for each non-empty row, with no header row.

    For key/value sheets (a field name in the first column, its values in the
    next ones). Cells are strings; trailing empty cells are dropped.
    """
    return _guarded(_read_xlsx_rows(path, sheet), path)


def _read_xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[str, list[str]]]:
    book = _open(path)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(path, None, f"no sheet {sheet!r}; found {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                yield f"sheet {ws.title}, row {number}", cells
    finally:
        book.close()
