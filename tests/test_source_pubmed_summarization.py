"""PubMed summarization source: train.txt sample, <S> markers removed, val/test not read, bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "pubmed_summarization"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_train_only(sample):
    records, rejections = sample
    assert rejections == []
    assert [r.raw_id for r in records] == ["PMC9100001", "PMC9100002", "PMC9100003"]  # not val.txt's PMC9200001
    assert {(r.task_id, r.split) for r in records} == {("task111", Split.TRAIN)}


def test_sample_exact_record(sample):
    second = sample[0][1]
    assert second.input == (
        "a 45-year-old man presented with paranoid delusions and fatigue . "
        "serum vitamin b12 was very low and macrocytosis was present . "
        "symptoms resolved after intramuscular replacement . "
        "b12 levels should be checked in new-onset psychosis ."
    )
    assert second.output == "a case of vitamin b12 deficiency presenting with psychosis is described ."
    assert "<S>" not in second.output and second.origin == "train.txt, line 2"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_bad_lines_reported(tmp_path, catalog):
    lines = [
        {"article_id": "a", "article_text": ["body ."], "abstract_text": ["<S> summary . </S>"]},
        {"article_id": "b", "article_text": ["body ."]},
        {"article_id": "c", "article_text": "not a list", "abstract_text": ["<S> x </S>"]},
        {"article_id": "d", "article_text": [], "abstract_text": ["<S> x </S>"]},
    ]
    (tmp_path / "train.txt").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.input, r.output) for r in records] == [("a", "body .", "summary .")]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("train.txt, line 2", "missing 'abstract_text'"),
        ("train.txt, line 3", "expected a list of sentences, got str"),
        ("train.txt, line 4", "empty article_text or abstract_text"),
    ]
