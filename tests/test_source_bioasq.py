"""BioASQ converter: ideal answers, repeated questions across editions, bad items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def bioasq(catalog):
    return catalog.get("bioasq")


def test_sample_questions_once_each(bioasq, catalog):
    records, rejections = _convert(bioasq, None, catalog.registry)
    assert rejections == []
    assert [r.raw_id[-2:] for r in records] == ["01", "02", "03", "04"]  # 02 repeats in the golden batch
    assert {(r.task_id, r.split.value) for r in records} == {("task104", "train")}
    assert records[1].input == "Which gene is mutated in cystic fibrosis?"
    assert records[1].output == (
        "Cystic fibrosis is caused by mutations in the CFTR gene, which encodes a chloride channel.")
    assert records[2].output.startswith("Aspirin irreversibly acetylates")  # ideal_answer given as a string
    assert records[3].origin == "12B1_golden.json, record 2 (id 5a0f0c2a1a2b3c4d5e000004)"
    again, _ = _convert(bioasq, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in records]


def test_bad_questions_are_reported(tmp_path, bioasq, catalog):
    questions = [
        {"id": "a", "body": "Q1?", "ideal_answer": ["A1."]},
        {"id": "b", "body": "Q2?", "ideal_answer": []},
        {"id": "c", "body": " ", "ideal_answer": ["A3."]},
        "not an object",
    ]
    (tmp_path / "training13b.json").write_text(json.dumps({"questions": questions}), "utf-8")
    records, rejections = _convert(bioasq, tmp_path, catalog.registry)
    assert [(r.input, r.output) for r in records] == [("Q1?", "A1.")]
    assert [(x.origin, x.reason) for x in rejections] == [
        ("training13b.json, record 2 (id b)", "no ideal_answer"),
        ("training13b.json, record 3 (id c)", "missing or empty 'body'"),
        ("training13b.json, record 4", "expected a question object, got str"),
    ]


def test_truncated_file_is_one_rejection(tmp_path, bioasq, catalog):
    cut = '{"questions": [{"id": "a", "body": "Q?", "ideal_answer": ["A."]}, {"id"'
    (tmp_path / "training13b.json").write_text(cut, "utf-8")
    records, rejections = _convert(bioasq, tmp_path, catalog.registry)
    assert len(records) == 1 and len(rejections) == 1
    assert rejections[0].origin.startswith("training13b.json, after record 1")
