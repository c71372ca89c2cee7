"""MeQSum converter: the real workbook slice, the bundled sample, the split rule, bad rows."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record

WORKBOOK = "MeQSum_ACL2019_BenAbacha_Demner-Fushman.xlsx"


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def meqsum(catalog):
    return catalog.get("meqsum")


@pytest.fixture(scope="module")
def real(realdata, meqsum, catalog):
    return _convert(meqsum, realdata / "meqsum", catalog.registry)


def _summary_cells(path: Path) -> int:
    """Data rows counted from the sheet XML (cells of column C, minus the header)."""
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    return len(re.findall(r'<c r="C\d+"', sheet)) - 1


def test_real_converts_every_row(real, realdata):
    records, rejections = real
    assert rejections == []
    assert len(records) == _summary_cells(realdata / "meqsum" / WORKBOOK) == 100
    assert {r.task_id for r in records} == {"task114"}
    assert records[0].license == "CC-BY-4.0"


def test_real_records_exact(real):
    records, _ = real
    first = records[0]
    assert first.raw_id == "1-131188152.xml.txt"
    assert first.input == (
        "SUBJECT: who and where to get cetirizine - D\n"
        "MESSAGE: I need/want to know who manufscturs Cetirizine. My Walmart is looking for a new "
        "supply and are not getting the recent"
    )
    assert first.output == "Who manufactures cetirizine?"
    assert first.origin == f"{WORKBOOK}, sheet QS, row 2"
    second = records[1]
    assert second.raw_id == "14348.txt"
    assert second.input.startswith("who makes bromocriptine\ni am wondering what company makes the drug")
    assert second.output == "Who manufactures bromocriptine?"


def test_real_pairs_equal_the_sheet(real, realdata):
    book = openpyxl.load_workbook(realdata / "meqsum" / WORKBOOK, read_only=True)
    rows = [r for r in book.worksheets[0].iter_rows(min_row=2, values_only=True) if any(r)]
    book.close()
    records, _ = real
    assert [(r.raw_id, r.input, r.output) for r in records] == [
        (f, chq.strip(), summary.strip()) for f, chq, summary, *_ in rows
    ]


def test_split_rule_is_the_documented_hash(real):
    records, _ = real
    for record in records:
        byte = hashlib.blake2b(record.raw_id.encode(), digest_size=8).digest()[0]
        assert record.split.value == ("test" if byte < 128 else "train")
    assert Counter(r.split.value for r in records) == {"test": 52, "train": 48}


def test_ids_unique_and_deterministic(real, meqsum, realdata, catalog):
    records, _ = real
    ids = [r.id for r in records]
    assert len(set(ids)) == len(ids)
    again, _ = _convert(meqsum, realdata / "meqsum", catalog.registry)
    assert [r.id for r in again] == ids


def test_sample_converts(meqsum, catalog):
    records, rejections = _convert(meqsum, None, catalog.registry)
    assert rejections == []
    assert len(records) == 6
    assert {r.split.value for r in records} == {"train", "test"}
    assert records[0].output == "Does grapefruit juice interact with metoprolol?"


def _workbook(path: Path, rows: list[tuple[str | None, ...]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "QS"
    sheet.append(["File", "CHQ", "Summary"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)


def test_bad_rows_reported_and_repeated_ids_suffixed(tmp_path, meqsum, catalog):
    _workbook(tmp_path / WORKBOOK, [
        ("1.txt", "What is asthma? my son coughs at night", "What is asthma?"),
        ("2.txt", "", "Orphan summary?"),
        ("1.txt", "asthma inhaler how often", "How often can an asthma inhaler be used?"),
    ])
    records, rejections = _convert(meqsum, tmp_path, catalog.registry)
    assert [r.raw_id for r in records] == ["1.txt", "1.txt#2"]
    assert records[0].split == records[1].split
    assert [(r.origin, r.reason) for r in rejections] == [(f"{WORKBOOK}, sheet QS, row 3", "empty CHQ")]


def test_missing_column_is_a_file_error(tmp_path, meqsum, catalog):
    book = openpyxl.Workbook()
    book.active.append(["File", "Question", "Summary"])
    book.active.append(["1.txt", "q", "s"])
    book.save(tmp_path / WORKBOOK)
    records, rejections = _convert(meqsum, tmp_path, catalog.registry)
    assert records == [] and len(rejections) == 1
    assert "missing column(s) CHQ" in rejections[0].reason
