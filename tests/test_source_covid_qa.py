"""COVID-QA source: the SQuAD v2 sample, merged repeated questions, bad questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "covid_qa"
SAMPLE = Path(__file__).resolve().parents[1] / "sources" / SOURCE / "sample" / "COVID-QA.json"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_one_item_per_question_text(sample):
    records, rejections = sample
    assert rejections == []
    assert [r.raw_id for r in records] == ["101", "102", "202", "301"]
    assert {(r.task_id, r.split) for r in records} == {("task105", Split.TRAIN)}
    # Answers are the annotated spans of the contexts.
    document = json.loads(SAMPLE.read_text())
    spans = {
        str(qa["id"]): [(p["context"], a) for a in qa["answers"]]
        for article in document["data"] for p in article["paragraphs"] for qa in p["qas"]
    }
    for qid, pairs in spans.items():
        for context, answer in pairs:
            assert context[answer["answer_start"]:].startswith(answer["text"]), qid


def test_sample_exact_records(sample):
    by_id = {r.raw_id: r for r in sample[0]}
    merged = by_id["101"]
    assert merged.input == "What is the incubation period of the novel coronavirus?"
    # Asked of two articles (ids 101 and 201): one item, both answers in file order.
    assert merged.output == "a median of 5 days\n\nfrom 2 to 14 days"
    assert merged.origin == "COVID-QA.json, article 1, paragraph 1, question 1 (id 101)"
    assert by_id["301"].output == "the viral RNA-dependent RNA polymerase"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_unanswerable_and_malformed_questions_reported(tmp_path, catalog):
    (tmp_path / "COVID-QA.json").write_text(json.dumps({"data": [{"paragraphs": [{
        "context": "Masks reduce spread.", "document_id": 1,
        "qas": [
            {"id": 1, "question": "Do masks help?", "answers": [{"text": "Masks reduce spread", "answer_start": 0}]},
            {"id": 2, "question": "Is there a cure?", "answers": [], "is_impossible": True},
            {"id": 3, "answers": [{"text": "x", "answer_start": 0}]},
        ],
    }]}]}))
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("1", "Masks reduce spread")]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("COVID-QA.json, article 1, paragraph 1, question 2 (id 2)", "question without an answer"),
        ("COVID-QA.json, article 1, paragraph 1, question 3 (id 3)", "question without 'question' text"),
    ]


def test_not_squad_names_the_file(tmp_path, catalog):
    (tmp_path / "COVID-QA.json").write_text("[]")
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert [(r.origin, r.reason) for r in rejections] == [
        ("COVID-QA.json", "expected a SQuAD object with a 'data' list"),
    ]
