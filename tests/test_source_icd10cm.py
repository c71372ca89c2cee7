"""ICD-10-CM source: the real code list slice, the sample, code formatting, bad rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "icd10cm"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_slice_converts_every_code(real, raw_dir):
    records, rejections = real
    with (raw_dir / "categories.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rejections == []
    assert len(records) == len(rows) == 300
    assert {(r.task_id, r.split) for r in records} == {("task115", Split.TRAIN)}
    # Gold: every title, in file order; the input is the code with its dot after 3 characters.
    assert [r.output for r in records] == [title for _, title in rows]
    assert [r.input.replace(".", "") for r in records] == [code for code, _ in rows]
    assert all(len(r.input) == 3 or r.input[3] == "." for r in records)


def test_real_records_by_content(real):
    by_code = {r.input: r for r in real[0]}
    assert by_code["A00"].output == "Cholera"
    assert by_code["A01.0"].output == "Typhoid fever"
    assert by_code["A01.1"].output == "Paratyphoid fever A"
    assert by_code["B40.8"].output == "Other forms of blastomycosis"
    assert by_code["A01.0"].origin == "categories.csv, line 3"
    assert by_code["A01.0"].raw_id == "A01.0"
    five = [code for code in by_code if len(code) == 6]  # the five 5-character codes of the slice
    assert len(five) == 5 and all(code[3] == "." and len(code.split(".")[1]) == 2 for code in five)


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_converts(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert {r.input: r.output for r in records} == {
        "A00": "Cholera",
        "A00.0": "Cholera due to Vibrio cholerae 01, biovar cholerae",
        "A01": "Typhoid and paratyphoid fevers",
        "A01.00": "Typhoid fever, unspecified",
        "E11": "Type 2 diabetes mellitus",
        "E11.9": "Type 2 diabetes mellitus without complications",
        "S03.00XA": "Dislocation of jaw, unspecified side, initial encounter",
    }


def test_bad_rows_are_reported(catalog, tmp_path):
    (tmp_path / "categories.csv").write_text(
        'A00,"Cholera"\n'
        '1234,"Not a code"\n'
        'A01,""\n'
        'A00,"Cholera again"\n'
        'A00,"Cholera"\n'
        'A02,"Other salmonella infections",extra\n'
        'a020,"Salmonella enteritis"\n',
        encoding="utf-8",
    )
    records, rejections = convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [("A00", "Cholera"), ("A02.0", "Salmonella enteritis")]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("categories.csv, line 2", "not an ICD-10-CM code: '1234'"),
        ("categories.csv, line 3", "code A01 has no title"),
        ("categories.csv, line 4", "code A00 listed again with another title 'Cholera again'"),
        ("categories.csv, line 6", "expected 2 fields, found 3"),
    ]
