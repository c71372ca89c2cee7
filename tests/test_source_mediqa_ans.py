"""MEDIQA-AnS source: the primary dataset sample and bad questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "mediqa_ans"
FILE = "question_driven_answer_summarization_primary_dataset.json"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_one_item_per_question(sample):
    records, rejections = sample
    assert rejections == []
    assert [r.raw_id for r in records] == ["1", "2", "3"]
    assert {(r.task_id, r.split) for r in records} == {("task102", Split.TRAIN)}


def test_sample_exact_record(sample):
    first = sample[0][0]
    assert first.input == "What are the side effects of metformin? I started it last month and my stomach is upset."
    assert first.output.startswith("Metformin commonly causes stomach upset, diarrhoea")
    assert first.output.endswith("long-term use can lower vitamin B12 levels.")
    assert first.origin == f"{FILE}, record 1 (question 1)"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_bad_questions_reported(tmp_path, catalog):
    (tmp_path / FILE).write_text(json.dumps({
        "7": {"question": "Q?", "multi_abs_summ": "An answer.", "answers": {}},
        "8": {"question": "No summary?", "answers": {}},
        "9": ["not", "an", "object"],
    }))
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("7", "An answer.")]
    assert [(r.origin, r.reason) for r in rejections] == [
        (f"{FILE}, record 2 (question 8)", "missing question or multi_abs_summ"),
        (f"{FILE}, record 3 (question 9)", "expected an object, got list"),
    ]


def test_truncated_file_names_line(tmp_path, catalog):
    (tmp_path / FILE).write_text('{"1": {"question": "Q?"')
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert rejections[0].origin.startswith(f"{FILE}, line 1")
    assert "truncated JSON" in rejections[0].reason


def test_truncated_copy_does_not_stop_the_other(tmp_path, catalog):
    # Unreadable file reported through the report callback (read_json on_error); a second copy is still read.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / FILE).write_text('{"1": {"question": "Q?"')
    (tmp_path / "b" / FILE).write_text(json.dumps({"2": {"question": "Q two?", "multi_abs_summ": "S two."}}))
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("2", "S two.")]
    assert len(rejections) == 1 and "truncated JSON" in rejections[0].reason
