"""COVID-QA source: the SQuAD v2 sample, one item per article and question, bad questions."""

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


def test_sample_one_item_per_article_and_question(sample):
    records, rejections = sample
    assert rejections == []
    # "What is the incubation period ...?" is asked of two articles: one record per article.
    assert [r.raw_id for r in records] == ["101", "102", "201", "202", "301"]
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
    document = json.loads(SAMPLE.read_text())
    contexts = [article["paragraphs"][0]["context"] for article in document["data"]]
    # Asked of two articles (ids 101 and 201): each article's answer in its own record, whose
    # input carries that article (the question alone would be one input with two answers).
    first, second = by_id["101"], by_id["201"]
    assert first.input == f"{contexts[0]}\n\nQuestion: What is the incubation period of the novel coronavirus?"
    assert first.output == "a median of 5 days"
    assert second.input == f"{contexts[1]}\n\nQuestion: What is the incubation period of the novel coronavirus?"
    assert second.output == "from 2 to 14 days"
    assert "article" in first.instruction and first.instruction == second.instruction
    assert first.origin == "COVID-QA.json, article 1, paragraph 1, question 1 (id 101)"
    # A question asked of one article only: the question alone, the task's own instruction.
    assert by_id["301"].input == "What does remdesivir inhibit?"
    assert by_id["301"].output == "the viral RNA-dependent RNA polymerase"
    assert by_id["301"].instruction == by_id["102"].instruction != first.instruction


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
        ("COVID-QA.json", "expected a SQuAD object with a 'data' list; the rest of the file was not read"),
    ]


def test_same_question_in_two_articles_never_merges_their_answers(tmp_path, catalog):
    """A context-free question asked of several articles: one record per article, never joined answers."""
    generic = "What is discussed in this publication?"
    (tmp_path / "COVID-QA.json").write_text(json.dumps({"data": [
        {"paragraphs": [{"context": "Bats host many coronaviruses. This paper reviews bat coronaviruses.",
                         "document_id": 1593, "qas": [
                             {"id": 2466, "question": generic, "is_impossible": False,
                              "answers": [{"text": "bat coronaviruses", "answer_start": 49}]},
                             {"id": 2467, "question": generic + " ", "is_impossible": False,
                              "answers": [{"text": "This paper reviews bat coronaviruses", "answer_start": 30}]},
                             {"id": 2468, "question": "Which animals host many coronaviruses?", "is_impossible": False,
                              "answers": [{"text": "Bats", "answer_start": 0}]},
                         ]}]},
        {"paragraphs": [{"context": "We describe a MERS outbreak in a hospital.", "document_id": 1698, "qas": [
            {"id": 2720, "question": generic, "is_impossible": False,
             "answers": [{"text": "a MERS outbreak in a hospital", "answer_start": 12}]},
        ]}]},
    ]}))
    records, rejections = convert(catalog, tmp_path)
    assert rejections == []
    by_id = {r.raw_id: r for r in records}
    assert [r.raw_id for r in records] == ["2466", "2468", "2720"]
    # Within one article, repeated asks of the question are one record with that article's answers.
    assert by_id["2466"].output == "bat coronaviruses\n\nThis paper reviews bat coronaviruses"
    assert by_id["2720"].output == "a MERS outbreak in a hospital"
    assert "MERS" not in by_id["2466"].output and "bat" not in by_id["2720"].output
    assert by_id["2466"].input == (
        "Bats host many coronaviruses. This paper reviews bat coronaviruses.\n\nQuestion: " + generic
    )
    assert by_id["2720"].input == "We describe a MERS outbreak in a hospital.\n\nQuestion: " + generic
    assert by_id["2468"].input == "Which animals host many coronaviruses?" and by_id["2468"].output == "Bats"
    assert len({r.id for r in records}) == 3
    assert len({r.input for r in records}) == 3  # one output per input
