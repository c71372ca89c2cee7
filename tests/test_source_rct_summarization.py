"""Cochrane RCT summarisation source: train/dev -> train/test, test inputs ignored, bad rows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "rct_summarization"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_splits(sample):
    records, rejections = sample
    assert rejections == []
    assert Counter((r.task_id, r.split.value) for r in records) == {("task110", "train"): 2, ("task110", "test"): 1}
    assert [r.raw_id for r in records if r.split is Split.TEST] == ["dev/CD900003"]
    assert not any("Ginger" in r.input for r in records)  # test-inputs.csv has no targets: not read


def test_sample_exact_record(sample):
    first = sample[0][0]
    assert first.input == (
        "Study 1\nTitle: Early mobilisation after hip fracture surgery: a randomised controlled trial\n"
        "Abstract: Patients mobilised within 24 hours of surgery walked independently sooner and had shorter "
        "hospital stays than those mobilised later.\n\n"
        "Study 2\nTitle: Accelerated rehabilitation after hip fracture\n"
        "Abstract: Accelerated rehabilitation did not change mortality at 4 months but improved mobility scores."
    )
    assert first.output == (
        "Early mobilisation after hip fracture surgery may improve mobility and shorten hospital stay, "
        "with no clear effect on mortality."
    )
    assert first.origin == "train-targets.csv, line 2 (review CD900001)"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_orphan_target_and_short_row_reported(tmp_path, catalog):
    (tmp_path / "train-inputs.csv").write_text(",ReviewID,PMID,Title,Abstract\n0,R1,1,Trial,Abstract.\n1,R2,2\n")
    (tmp_path / "train-targets.csv").write_text(",ReviewID,Target\n0,R1,Sum.\n1,R2,Other.\n")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("train/R1", "Sum.")]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("train-inputs.csv, line 3", "expected 5 fields, found 3"),
        ("train-targets.csv, line 3 (review R2)", "no study with a title or abstract in train-inputs.csv"),
    ]
