"""Medical Question Pairs source: sample, quoting, header copies, bad labels."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("medical_question_pairs"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter(r.output for r in records) == {"Similar": 3, "Dissimilar": 2}
    assert {(r.task_id, r.split.value) for r in records} == {("task38", "train")}
    third = records[2]
    assert third.input == (
        "Question1: My knee clicks when I climb stairs, should I worry?\n"
        'Question2: When I walk up steps my knee makes a "click" sound. Is that a problem?'
    )
    assert (third.output, third.raw_id, third.origin) == ("Similar", "mqp-3", "mqp.csv, line 3")
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_header_row_skipped_and_bad_rows_reported(catalog, tmp_path):
    (tmp_path / "mqp.csv").write_text(
        "dr_id,question_1,question_2,label\n1,A?,B?,1\n1,A?,C?,maybe\n1,A?,D?\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [("Question1: A?\nQuestion2: B?", "Similar")]
    assert [r.origin for r in rejections] == ["mqp.csv, line 3", "mqp.csv, line 4"]
    assert "label 'maybe'" in rejections[0].reason and "expected 4 fields" in rejections[1].reason
