"""Hostile raw files, built small on disk (shared by tests and benchmarks/hostile_table.py).

Each builder writes one file that expands, nests or runs far beyond what a
reader may hold, from a few KB or MB of disk, the way an attacker (or a broken
export) would make it.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

MiB = 1 << 20


def deep_json_array(path: Path, depth: int = 20_001) -> Path:
    """``[[[[…]]]]``: a JSON array nested ``depth`` levels (40 KB for 20,001)."""
    path.write_bytes(b"[" * depth + b"]" * depth)
    return path


def deep_json_lines(path: Path, depth: int = 20_001, good: int = 3) -> Path:
    """A JSON Lines file whose second line nests ``depth`` levels; ``good`` valid lines around it."""
    line = b'{"input": "q", "output": "a"}\n'
    path.write_bytes(line + b'{"x": ' + b"[" * depth + b"]" * depth + b"}\n" + line * (good - 1))
    return path


def _deflate_stream(handle: zipfile.ZipFile, name: str, parts: list[tuple[bytes, int]]) -> None:
    """Write member ``name`` made of each ``chunk`` repeated ``times``, without building it in memory."""
    with handle.open(name, "w", force_zip64=True) as member:
        for chunk, times in parts:
            block = chunk * max(1, (1 * MiB) // max(1, len(chunk)))
            full, rest = divmod(len(chunk) * times, len(block))
            for _ in range(full):
                member.write(block)
            member.write(block[:rest])


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'worksheet" Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def _row(number: int, cells: list[bytes]) -> bytes:
    out = [b'<row r="%d">' % number]
    for column, cell in zip("ABCDEFGH", cells, strict=False):
        out.append(b'<c r="%s%d" t="inlineStr"><is><t>' % (column.encode(), number) + cell + b"</t></is></c>")
    return b"".join(out) + b"</row>"


def xlsx(path: Path, header: list[str], rows: list[list[str]], *, shared: list[str] = ()) -> Path:
    """A minimal valid workbook: one sheet, inline strings, an optional shared-strings part."""
    body = _SHEET_HEAD + _row(1, [h.encode() for h in header])
    body += b"".join(_row(n, [c.encode() for c in row]) for n, row in enumerate(rows, start=2)) + _SHEET_TAIL
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + b"".join(
        b"<si><t>" + s.encode() + b"</t></si>" for s in shared) + b"</sst>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        _skeleton(book)
        book.writestr("xl/worksheets/sheet1.xml", body)
        book.writestr("xl/sharedStrings.xml", strings)
    return path


def _skeleton(book: zipfile.ZipFile) -> None:
    book.writestr("[Content_Types].xml", _CONTENT_TYPES)
    book.writestr("_rels/.rels", _ROOT_RELS)
    book.writestr("xl/workbook.xml", _WORKBOOK)
    book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)


def xlsx_cell_bomb(path: Path, cell_bytes: int = 3 << 30) -> Path:
    """A workbook (a few MB) whose one cell decompresses to ``cell_bytes`` of text."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        _skeleton(book)
        book.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
        head = _SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>input</t></is></c></row>'
        head += b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
        _deflate_stream(book, "xl/worksheets/sheet1.xml",
                        [(head, 1), (b"A", cell_bytes), (b"</t></is></c></row>" + _SHEET_TAIL, 1)])
    return path


def xlsx_shared_strings_bomb(path: Path, total_bytes: int = 4 << 30) -> Path:
    """A workbook whose shared-strings part decompresses to ``total_bytes`` (many short strings)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        _skeleton(book)
        book.writestr("xl/worksheets/sheet1.xml", _SHEET_HEAD + _row(1, [b"input"]) + _SHEET_TAIL)
        item = b"<si><t>medsins</t></si>"
        head = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        _deflate_stream(book, "xl/sharedStrings.xml", [(head, 1), (item, total_bytes // len(item)), (b"</sst>", 1)])
    return path


def gzip_bomb(path: Path, total_bytes: int = 4 << 30, line: bytes = b"A") -> Path:
    """A ``.gz`` file (a few MB) that decompresses to ``total_bytes`` of ``line`` repeated (no newline)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    block = line * (MiB // len(line))
    with path.open("wb") as out:
        for _ in range(total_bytes // len(block)):
            out.write(compressor.compress(block))
        out.write(compressor.flush())
    return path


def long_line(path: Path, size: int, prefix: bytes = b"", suffix: bytes = b"\n") -> Path:
    """A file holding one line of ``size`` bytes (written in blocks)."""
    with path.open("wb") as out:
        out.write(prefix)
        block = b"A" * MiB
        for _ in range(size // MiB):
            out.write(block)
        out.write(b"A" * (size % MiB))
        out.write(suffix)
    return path


def csv_bytes(rows: list[list[str]]) -> bytes:
    """Rows as CSV bytes (quoted minimally)."""
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()
