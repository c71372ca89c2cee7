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


def test_golden_batches_alone_convert(bioasq, catalog, tmp_path):
    # Public copies (e.g. benchmark bundles) hold only the NB<k>_golden.json batches, no training file.
    question = {"id": "q1", "body": "Is X a kinase?", "type": "yesno", "ideal_answer": ["Yes, X is a kinase."],
                "exact_answer": "yes", "documents": [], "snippets": []}
    (tmp_path / "7B1_golden.json").write_text(json.dumps({"questions": [question]}), encoding="utf-8")
    records, rejections = _convert(bioasq, tmp_path, catalog.registry)
    assert rejections == []
    assert [(r.input, r.output, r.split.value) for r in records] == [("Is X a kinase?", "Yes, X is a kinase.", "train")]


def test_no_bioasq_file_is_an_error(bioasq, catalog, tmp_path):
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    records, rejections = _convert(bioasq, tmp_path, catalog.registry)
    assert records == [] and len(rejections) == 1
    assert "no BioASQ file" in rejections[0].reason


def test_same_body_under_new_id_is_kept_once(bioasq, catalog, tmp_path):
    # Real golden batches ask a question again in a later edition under a new id, with a new ideal answer.
    def q(qid, answer):
        return {"id": qid, "body": "Are there negative enhancers?", "type": "yesno", "ideal_answer": [answer]}
    (tmp_path / "8B3_golden.json").write_text(json.dumps({"questions": [q("a1", "Yes, silencers.")]}),
                                              encoding="utf-8")
    (tmp_path / "9B3_golden.json").write_text(
        json.dumps({"questions": [q("b2", "Yes, silencers."), q("b3", "Yes, they are regions.")]}), encoding="utf-8")
    records, rejections = _convert(bioasq, tmp_path, catalog.registry)
    assert [(r.raw_id, r.output) for r in records] == [("a1", "Yes, silencers.")]
    assert len(rejections) == 1 and "same question as id a1" in rejections[0].reason
    assert rejections[0].origin.startswith("9B3_golden.json, record 2")
