"""MASH-QA source: multi-span answers in article order, files read, the consec fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "mashqa"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_reads_train_and_val_not_test(sample):
    records, rejections = sample
    assert rejections == []
    assert [r.raw_id for r in records] == ["shingles-q1", "shingles-q2", "ankle-q1", "anaemia-q1"]
    assert {(r.task_id, r.split) for r in records} == {("task101", Split.TRAIN)}
    assert not any(r.raw_id == "anaemia-q2" for r in records)  # test_webmd_... is not read


def test_multi_span_answers_in_article_order(sample):
    by_id = {r.raw_id: r for r in sample[0]}
    symptoms = by_id["shingles-q2"]
    assert symptoms.input == "What are the symptoms of shingles?"
    # The file lists the fever span first; the output follows the article.
    assert symptoms.output == (
        "A painful rash that turns into blisters is the most common sign. Some people also have fever and headache."
    )
    assert by_id["anaemia-q1"].origin == (
        "val_webmd_squad_v2_full.json, article 1, paragraph 1, question 1 (id anaemia-q1)"
    )


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def _squad(qas: list[dict]) -> dict:
    return {"data": [{"title": "t", "paragraphs": [{"context": "One. Two. Three.", "qas": qas}]}]}


def test_consec_files_only_without_full_files(tmp_path, catalog):
    qa = {"id": "c1", "question": "Q?", "answers": [{"text": "Two.", "answer_start": 5}]}
    (tmp_path / "train_webmd_squad_v2_consec.json").write_text(json.dumps(_squad([qa])))
    records, _ = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("c1", "Two.")]
    full = {"id": "f1", "question": "Q?", "answers": [{"text": "One.", "answer_start": 0}]}
    (tmp_path / "train_webmd_squad_v2_full.json").write_text(json.dumps(_squad([full])))
    records, _ = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("f1", "One.")]


def test_repeated_question_merged_and_unanswerable_reported(tmp_path, catalog):
    qas = [
        {"id": "a", "question": "What helps?", "answers": [{"text": "One.", "answer_start": 0}]},
        {"id": "b", "question": "What  helps?", "answers": [{"text": "Three.", "answer_start": 10}]},
        {"id": "c", "question": "Nothing?", "answers": [], "is_impossible": True},
    ]
    (tmp_path / "train_webmd_squad_v2_full.json").write_text(json.dumps(_squad(qas)))
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.input, r.output) for r in records] == [("a", "What helps?", "One.\n\nThree.")]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("train_webmd_squad_v2_full.json, article 1, paragraph 1, question 3 (id c)", "question without an answer"),
    ]


def test_no_file_is_an_error(tmp_path, catalog):
    (tmp_path / "test_webmd_squad_v2_full.json").write_text(json.dumps(_squad([])))
    records, rejections = convert(catalog, tmp_path)
    assert records == [] and "no train_webmd_squad_v2_full.json" in rejections[0].reason
