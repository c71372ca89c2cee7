"""The SQuAD-style reader: nesting, extra keys, multi-span answers, malformed parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.errors import InputError
from medsins.formats.squad import Answer, group_by_question, read_squad


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_reads_questions_with_paragraph_keys(tmp_path):
    path = _write(tmp_path / "qa.json", {"version": "v2.0", "data": [{
        "title": "Doc",
        "paragraphs": [{
            "context": "Alpha beta. Gamma delta.", "document_id": 7,
            "qas": [
                {"id": "q1", "question": "What?", "is_impossible": False,
                 "answers": [{"text": "Gamma delta.", "answer_start": 12}, {"text": "Alpha beta.", "answer_start": 0}]},
                {"id": "q2", "question": "None?", "is_impossible": True, "answers": []},
            ],
        }],
    }]})
    items = list(read_squad(path))
    assert [where for where, _ in items] == [
        "article 1, paragraph 1, question 1 (id q1)", "article 1, paragraph 1, question 2 (id q2)",
    ]
    first = items[0][1]
    assert (first.id, first.title, first.paragraph) == ("q1", "Doc", {"document_id": 7})
    assert first.answers == [Answer("Gamma delta.", 12), Answer("Alpha beta.", 0)]
    # Multi-span answers come back in context order, repeats once.
    assert first.answer_texts() == ["Alpha beta.", "Gamma delta."]
    assert items[1][1].is_impossible and items[1][1].answer_texts() == []


def test_malformed_parts_are_reported(tmp_path):
    path = _write(tmp_path / "qa.json", {"data": [
        {"title": "no paragraphs"},
        {"paragraphs": [
            {"qas": []},
            {"context": "c", "qas": [
                {"id": "a", "question": ""},
                {"id": "b", "question": "Q?", "answers": [{"answer_start": 0}]},
                {"id": "c", "question": "Q?", "answers": [{"text": "c"}]},
            ]},
        ]},
    ]})
    problems: list[InputError] = []
    items = list(read_squad(path, on_error=problems.append))
    assert [(w, q.answers) for w, q in items] == [("article 2, paragraph 2, question 3 (id c)", [Answer("c", -1)])]
    assert [(p.where, p.problem) for p in problems] == [
        ("article 1", "article without a 'paragraphs' list"),
        ("article 2, paragraph 1", "paragraph without a 'context' string and 'qas' list"),
        ("article 2, paragraph 2, question 1 (id a)", "question without 'question' text"),
        ("article 2, paragraph 2, question 2 (id b)", "answer {'answer_start': 0} has no 'text' string"),
    ]


def test_not_squad_is_a_file_error(tmp_path):
    path = _write(tmp_path / "qa.json", [{"question": "Q?"}])
    with pytest.raises(InputError, match="expected a SQuAD object"):
        list(read_squad(path))


def test_group_by_question_keeps_first_seen_order(tmp_path):
    path = _write(tmp_path / "qa.json", {"data": [{"paragraphs": [
        {"context": "one", "qas": [{"id": "1", "question": "What is it?", "answers": [{"text": "one"}]}]},
        {"context": "two", "qas": [{"id": "2", "question": "Why?", "answers": [{"text": "two"}]},
                                    {"id": "3", "question": "What  is it? ", "answers": [{"text": "two"}]}]},
    ]}]})
    groups = group_by_question(read_squad(path))
    assert [(where, [q.id for q in qs]) for where, qs in groups] == [
        ("article 1, paragraph 1, question 1 (id 1)", ["1", "3"]),
        ("article 1, paragraph 2, question 1 (id 2)", ["2"]),
    ]


def test_questions_know_their_article_and_paragraph(tmp_path):
    path = _write(tmp_path / "qa.json", {"data": [
        {"paragraphs": [{"context": "one", "qas": [{"id": "1", "question": "Q?", "answers": [{"text": "one"}]}]},
                        {"context": "two", "qas": [{"id": "2", "question": "Q?", "answers": [{"text": "two"}]}]}]},
        {"paragraphs": [{"context": "three", "qas": [{"id": "3", "question": "Q?", "answers": [{"text": "three"}]}]}]},
    ]})
    assert [(q.id, q.article_number, q.paragraph_number) for _, q in read_squad(path)] == [
        ("1", 1, 1), ("2", 1, 2), ("3", 2, 1),
    ]


def test_group_by_question_per_context(tmp_path):
    """per_context=True never puts questions about different contexts (articles) in one group."""
    path = _write(tmp_path / "qa.json", {"data": [
        {"paragraphs": [{"context": "one", "qas": [
            {"id": "1", "question": "What is discussed in this publication?", "answers": [{"text": "one"}]},
            {"id": "2", "question": "What is discussed in this publication? ", "answers": [{"text": "on"}]},
        ]}]},
        {"paragraphs": [{"context": "two", "qas": [
            {"id": "3", "question": "What is discussed in this publication?", "answers": [{"text": "two"}]},
        ]}]},
    ]})
    groups = group_by_question(read_squad(path), per_context=True)
    assert [(where, [q.id for q in qs]) for where, qs in groups] == [
        ("article 1, paragraph 1, question 1 (id 1)", ["1", "2"]),
        ("article 2, paragraph 1, question 1 (id 3)", ["3"]),
    ]
    assert [[q.id for q in qs] for _, qs in group_by_question(read_squad(path))] == [["1", "2", "3"]]
