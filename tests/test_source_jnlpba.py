"""JNLPBA source: the real evaluation-file slice, the sample, bad sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split, split_entities

SOURCE = "jnlpba"
EVAL_FILE = "Genia4EReval1.iob2"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def raw_sentences(path: Path) -> list[list[tuple[str, str]]]:
    """The (token, tag) sentences of an IOB2 file, split on blank lines."""
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("###MEDLINE:"):
            if current:
                sentences.append(current)
            current = []
        else:
            token, tag = line.split("\t")
            current.append((token, tag))
    if current:
        sentences.append(current)
    return sentences


def gold_entities(sentence: list[tuple[str, str]]) -> list[str]:
    """Unique entity strings in first-seen order (IOB2: every entity starts with B-)."""
    spans: list[list[str]] = []
    for token, tag in sentence:
        if tag.startswith("B-"):
            spans.append([token])
        elif tag.startswith("I-"):
            spans[-1].append(token)
    return list(dict.fromkeys(" ".join(span) for span in spans))


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_slice_one_record_per_sentence_as_test(real, raw_dir):
    records, rejections = real
    sentences = raw_sentences(raw_dir / EVAL_FILE)
    assert rejections == []
    assert len(records) == len(sentences) == 300
    # The shared task's evaluation file is the test split.
    assert {(r.task_id, r.split) for r in records} == {("task1005", Split.TEST)}
    for record, sentence in zip(records, sentences, strict=True):
        assert record.input == " ".join(token for token, _ in sentence)
        assert split_entities(record.output) == gold_entities(sentence)
    assert sum(r.output == "None" for r in records) == sum(not gold_entities(s) for s in sentences)


def test_real_records_by_content(real):
    first, second = real[0][:2]
    assert first.input == (
        "Number of glucocorticoid receptors in lymphocytes and their sensitivity to hormone action ."
    )
    assert first.output == "glucocorticoid receptors\nlymphocytes"
    assert first.origin == f"{EVAL_FILE}, line 1" and first.raw_id == "Genia4EReval1-1"
    assert second.input.startswith("The study demonstrated a decreased level of glucocorticoid receptors (")
    entities = split_entities(second.output)
    assert entities[:3] == ["glucocorticoid receptors", "GR", "peripheral blood lymphocytes"]


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_splits_by_file_and_skips_medline_markers(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert [(r.origin, r.split) for r in records] == [
        ("Genia4EReval1.iob2, line 3", Split.TEST),
        ("Genia4EReval1.iob2, line 14", Split.TEST),
        ("Genia4ERtask1.iob2, line 3", Split.TRAIN),
        ("Genia4ERtask1.iob2, line 16", Split.TRAIN),
        ("Genia4ERtask1.iob2, line 36", Split.TRAIN),
        ("Genia4ERtask1.iob2, line 45", Split.TRAIN),
    ]
    no_entity, repeated = records[4], records[5]
    assert no_entity.output == "None"
    assert repeated.output == "c-fos mRNA\nhuman monocytes\nU937 cells"  # c-fos mRNA listed once


def test_bad_sentences_are_reported(catalog, tmp_path):
    (tmp_path / "Genia4ERtask1.iob2").write_text(
        "IL-2\tB-protein\n.\tO\n\n"
        "Some\tB-chemical\n.\tO\n\n"
        "Broken line\n.\tO\n\n"
        "T\tB-cell_type\ncells\tI-cell_type\n",
        encoding="utf-8",
    )
    records, rejections = convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [("IL-2 .", "IL-2"), ("T cells", "T cells")]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("Genia4ERtask1.iob2, line 4", "entity type(s) chemical are not JNLPBA types"),
        ("Genia4ERtask1.iob2, line 7", "expected 2 columns, found 1"),
    ]
