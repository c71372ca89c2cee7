"""MedicationQA source: the real workbook slice, the sample, merged repeats, bad rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "medicationqa"
WORKBOOK = "MedInfo2019-QA-Medications.xlsx"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def raw_rows(path: Path) -> list[tuple[str, str]]:
    """(question, answer) of every data row, read straight from the workbook."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = list(rows[0])
    q, a = header.index("Question"), header.index("Answer")
    return [(str(row[q]), str(row[a])) for row in rows[1:] if row[q] is not None]


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_slice_one_record_per_distinct_question(real, raw_dir):
    records, rejections = real
    rows = raw_rows(raw_dir / WORKBOOK)
    distinct: dict[str, list[str]] = {}
    for question, answer in rows:
        distinct.setdefault(" ".join(question.split()).casefold(), []).append(answer)
    assert rejections == []
    assert len(rows) == 100
    assert len(records) == len(distinct) == 96  # four questions are asked twice
    assert {(r.task_id, r.split) for r in records} == {("task65", Split.TRAIN)}
    # Gold: each question's answers, all of them, in row order (line breaks inside kept).
    for record in records:
        answers = distinct[record.input.casefold()]
        parts = record.output.split("\n\n")
        assert [" ".join(p.split()) for p in parts] == [" ".join(a.split()) for a in answers]


def test_real_records_by_content(real):
    by_question = {r.input: r for r in real[0]}
    valium = by_question["how does valium affect the brain"]
    assert valium.output.startswith("Diazepam is a benzodiazepine that exerts anxiolytic, sedative")
    assert valium.origin == f"{WORKBOOK}, sheet DrugQA, row 3" and valium.raw_id == "row-3"
    breo = by_question["breo inhaler how it works"]
    assert breo.raw_id == "row-9"
    assert breo.output.count("\n\n") == 1
    assert breo.output.startswith("The combination of fluticasone and vilanterol is used to control wheezing")


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_converts_and_merges_a_repeated_question(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert len(records) == 4
    metformin = next(r for r in records if r.input == "what is metformin used for")
    assert metformin.output == (
        "Metformin is used alone or with other medications, including insulin, to treat type 2 diabetes.\n\n"
        "It helps control the amount of glucose (sugar) in the blood by decreasing the amount of glucose "
        "absorbed from food and the amount made by the liver."
    )


def test_bad_rows_are_reported(catalog, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "DrugQA"
    sheet.append(["Question", "Focus (Drug)", "Question Type", "Answer", "Section Title", "URL"])
    sheet.append(["what is aspirin", "aspirin", "Information", "A pain reliever.", "NA", "https://x"])
    sheet.append(["what is ibuprofen", "ibuprofen", "Information", None, "NA", "https://x"])
    sheet.append([None, "x", "Information", "An answer without a question.", "NA", "https://x"])
    book.save(tmp_path / WORKBOOK)
    records, rejections = convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [("what is aspirin", "A pain reliever.")]
    assert [(j.origin, j.reason) for j in rejections] == [
        (f"{WORKBOOK}, sheet DrugQA, row 3", "empty Answer"),
        (f"{WORKBOOK}, sheet DrugQA, row 4", "empty Question"),
    ]


def test_missing_column_rejects_the_file(catalog, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Question", "Reply"])
    book.active.append(["what is aspirin", "A pain reliever."])
    book.save(tmp_path / WORKBOOK)
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert len(rejections) == 1 and "missing column(s) Answer" in rejections[0].reason
