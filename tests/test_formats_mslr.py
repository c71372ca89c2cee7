"""The MSLR CSV reader: joining inputs, targets and reviews-info; bad rows and files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from medsins.errors import InputError
from medsins.formats.mslr import Review, Study, read_reviews, studies_text


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", *header])  # the unnamed index column of the MSLR files
        writer.writerows([str(i), *row] for i, row in enumerate(rows))
    return path


def test_joins_studies_targets_and_background(tmp_path):
    inputs = _csv(tmp_path / "train-inputs.csv", ["ReviewID", "PMID", "Title", "Abstract"], [
        ["R1", "11", "Trial one", "Abstract  one.\nSecond line."],
        ["R2", "21", "Trial three", ""],
        ["R1", "12", "Trial two", "Abstract two."],
        ["R1", "13", "", ""],  # nothing to read: dropped
    ])
    targets = _csv(tmp_path / "train-targets.csv", ["ReviewID", "Target"], [["R2", "Sum two."], ["R1", "Sum one."]])
    info = _csv(tmp_path / "train-reviews-info.csv", ["ReviewID", "Background"], [["R1", "Why R1."]])
    got = list(read_reviews(inputs, targets, info))
    assert [(where, review) for _, where, review in got] == [
        ("line 2 (review R2)", Review("R2", "Sum two.", [Study("21", "Trial three", "")], "")),
        ("line 3 (review R1)", Review("R1", "Sum one.", [
            Study("11", "Trial one", "Abstract one. Second line."), Study("12", "Trial two", "Abstract two."),
        ], "Why R1.")),
    ]
    assert studies_text(got[1][2]) == (
        "Study 1\nTitle: Trial one\nAbstract: Abstract one. Second line.\n\n"
        "Study 2\nTitle: Trial two\nAbstract: Abstract two."
    )
    assert studies_text(got[0][2]) == "Study 1\nTitle: Trial three"


def test_bad_targets_reported(tmp_path):
    inputs = _csv(tmp_path / "dev-inputs.csv", ["ReviewID", "PMID", "Title", "Abstract"], [["R1", "1", "T", "A"]])
    targets = _csv(tmp_path / "dev-targets.csv", ["ReviewID", "Target"], [
        ["R1", "S."], ["R1", "Again."], ["R9", "Orphan."], ["R1", ""],
    ])
    problems: list[InputError] = []
    got = list(read_reviews(inputs, targets, on_error=problems.append))
    assert [r.review_id for _, _, r in got] == ["R1"]
    assert [(p.where, p.problem) for p in problems] == [
        ("line 3 (review R1)", "review repeated in the targets file"),
        ("line 4 (review R9)", "no study with a title or abstract in dev-inputs.csv"),
        ("line 5 (review R1)", "review repeated in the targets file"),
    ]


def test_missing_column_is_a_file_error(tmp_path):
    inputs = _csv(tmp_path / "train-inputs.csv", ["ReviewID", "PMID", "Title"], [["R1", "1", "T"]])
    targets = _csv(tmp_path / "train-targets.csv", ["ReviewID", "Target"], [["R1", "S."]])
    with pytest.raises(InputError) as info:
        list(read_reviews(inputs, targets))
    assert info.value.path == str(inputs) and info.value.where == "line 1"
    assert info.value.problem.startswith("missing column(s) Abstract")
