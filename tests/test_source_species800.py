"""Species-800 converter: the real BioBERT devel slice, the bundled sample, bad lines."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, split_entities


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def species800(catalog):
    return catalog.get("species800")


@pytest.fixture(scope="module")
def real(realdata, species800, catalog):
    return _convert(species800, realdata / "species800", catalog.registry)


def _blocks(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences as (token, tag) lists, read with a plain split on blank lines."""
    return [
        [tuple(line.split("\t")) for line in block.splitlines()]
        for block in path.read_text("utf-8").split("\n\n")
        if block.strip()
    ]


def _spans(sentence: list[tuple[str, str]]) -> list[str]:
    spans: list[list[str]] = []
    previous = "O"
    for token, tag in sentence:
        if tag == "B" or (tag == "I" and previous == "O"):
            spans.append([token])
        elif tag == "I":
            spans[-1].append(token)
        previous = tag
    return list(dict.fromkeys(" ".join(s) for s in spans))


def test_real_converts_every_sentence(real, realdata):
    records, rejections = real
    assert rejections == []
    blocks = _blocks(realdata / "species800" / "devel.tsv")
    assert len(records) == len(blocks) == 300
    assert {(r.task_id, r.split.value) for r in records} == {("task128", "train")}


def test_real_entities_equal_annotations(real, realdata):
    records, _ = real
    blocks = _blocks(realdata / "species800" / "devel.tsv")
    for record, block in zip(records, blocks, strict=True):
        assert record.input == " ".join(token for token, _ in block)
        assert split_entities(record.output) == _spans(block)
        assert all(entity in record.input for entity in split_entities(record.output))
    tagged = sum(1 for r in records if r.output != "None")
    assert tagged == sum(1 for b in blocks if any(tag == "B" for _, tag in b))


def test_real_records_exact(real):
    records, _ = real
    first = records[0]
    assert first.input == "Flavobacterium sinopsychrotolerans sp . nov . , isolated from a glacier ."
    assert first.output == "None"
    assert first.origin == "devel.tsv, line 1"
    litoreibacter = next(r for r in records if r.raw_id == "devel-298")
    assert litoreibacter.input.startswith(
        "Litoreibacter albidus gen . nov . , sp . nov . and Litoreibacter janthinus"
    )
    assert litoreibacter.output == "Litoreibacter albidus\nLitoreibacter janthinus"


def test_test_file_feeds_the_test_split(realdata, species800, catalog, tmp_path):
    shutil.copy(realdata / "species800" / "devel.tsv", tmp_path / "test.tsv")
    shutil.copy(realdata / "species800" / "devel.tsv", tmp_path / "train_dev.tsv")  # not read
    records, rejections = _convert(species800, tmp_path, catalog.registry)
    assert rejections == []
    assert Counter(r.split.value for r in records) == {"test": 300}


def test_ids_unique_and_deterministic(real, species800, realdata, catalog):
    records, _ = real
    ids = [r.id for r in records]
    assert len(set(ids)) == len(ids)
    again, _ = _convert(species800, realdata / "species800", catalog.registry)
    assert [r.id for r in again] == ids


def test_sample_converts(species800, catalog):
    records, rejections = _convert(species800, None, catalog.registry)
    assert rejections == []
    assert Counter(r.split.value for r in records) == {"train": 5, "test": 3}
    by_input = {r.input: r.output for r in records}
    assert by_input["Dolphins ( Tursiops truncatus ) stranded on the coast were examined ."] == (
        "Dolphins\nTursiops truncatus"
    )


def test_bad_sentence_reported_with_line(tmp_path, species800, catalog):
    (tmp_path / "train.tsv").write_text(
        "Escherichia\tB\ncoli\tI\ngrew\tO\n.\tO\n\nBad\tO\textra\n.\tO\n\nYeast\tB\ncells\tO\n", "utf-8"
    )
    records, rejections = _convert(species800, tmp_path, catalog.registry)
    assert [(r.input, r.output) for r in records] == [("Escherichia coli grew .", "Escherichia coli"),
                                                     ("Yeast cells", "Yeast")]
    assert [r.origin for r in rejections] == ["train.tsv, line 6"]
    assert [r.raw_id for r in records] == ["train-1", "train-9"]


def test_no_species_file_is_one_rejection(tmp_path, species800, catalog):
    (tmp_path / "train_dev.tsv").write_text("Yeast\tB\n", "utf-8")
    records, rejections = _convert(species800, tmp_path, catalog.registry)
    assert records == [] and len(rejections) == 1
