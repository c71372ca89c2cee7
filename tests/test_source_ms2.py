"""MS^2 source: the MSLR CSV sample, background handling, dev files not read, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "ms2"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_train_reviews_only(sample):
    records, rejections = sample
    assert rejections == []
    assert [r.raw_id for r in records] == ["90010001", "90010002", "90010003"]  # not the dev review 90020001
    assert {(r.task_id, r.split) for r in records} == {("task109", Split.TRAIN)}


def test_sample_exact_records(sample):
    by_id = {r.raw_id: r for r in sample[0]}
    zinc = by_id["90010002"]
    assert zinc.input == (
        "Background: The common cold is frequent and costly. We reviewed zinc for treating colds.\n\n"
        "Study 1\nTitle: Zinc lozenges for the common cold\n"
        "Abstract: Adults with colds took zinc or placebo lozenges. "
        "Zinc shortened symptom duration by about one day.\n\n"
        "Study 2\nTitle: Zinc acetate and cold duration\n"
        "Abstract: In a double-blind trial, zinc acetate reduced the duration of cold symptoms; nausea and bad taste "
        "were more frequent.\n\n"
        "Study 3\nTitle: Zinc gluconate nasal gel trial"
    )
    assert zinc.output.startswith("Zinc lozenges may shorten the duration")
    assert zinc.origin == "train-targets.csv, line 3 (review 90010002)"
    # No reviews-info row: no Background line.
    assert by_id["90010003"].input.startswith("Study 1\nTitle: Probiotics")


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_missing_target_column_and_missing_inputs_file(tmp_path, catalog):
    (tmp_path / "train-inputs.csv").write_text(",ReviewID,PMID,Title,Abstract\n0,R1,1,T,A\n")
    (tmp_path / "train-targets.csv").write_text(",ReviewID,Summary\n0,R1,S\n")
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert [(r.origin, r.reason.split(";")[0]) for r in rejections] == [
        ("train-targets.csv, line 1", "missing column(s) Target"),
    ]
    (tmp_path / "train-inputs.csv").unlink()
    (tmp_path / "train-targets.csv").write_text(",ReviewID,Target\n0,R1,S\n")
    records, rejections = convert(catalog, tmp_path)
    assert records == [] and rejections[0].origin == "train-inputs.csv"
