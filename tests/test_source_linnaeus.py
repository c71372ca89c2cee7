"""LINNAEUS source: BioBERT IOB sample, the original txt/ + tags.tsv release, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(source, raw, registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def linnaeus(catalog):
    return catalog.get("linnaeus")


def test_sample_converts(linnaeus, catalog):
    records, rejections = _convert(linnaeus, None, catalog.registry)
    assert rejections == []
    assert len(records) == 6 and {(r.task_id, r.split.value) for r in records} == {("task33", "train")}
    by_input = {r.input: r.output for r in records}
    assert by_input["Strains of Escherichia coli and yeast were used ."] == "Escherichia coli\nyeast"
    assert by_input["Infection with E . coli was confirmed ."] == "E . coli"
    assert by_input["The protocol is described below ."] == "None"
    again, _ = _convert(linnaeus, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in records]


DOC = "Results\nWe infected mice with Plasmodium berghei. Human cells (Fig. 2) were spared.\nNo species here.\n"


def test_original_release_cut_into_sentences(linnaeus, catalog, tmp_path):
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "pmcA1.txt").write_text(DOC, encoding="utf-8")
    start = DOC.index("mice")
    plasmodium = DOC.index("Plasmodium berghei")
    human = DOC.index("Human")
    (tmp_path / "tags.tsv").write_text(
        "#species id\tdocument\tstart\tend\ttext\tcode\n"
        f"species:ncbi:10090\tpmcA1\t{start}\t{start + 4}\tmice\t0\n"
        f"species:ncbi:5823\tpmcA1\t{plasmodium}\t{plasmodium + 18}\tPlasmodium berghei\t0\n"
        f"species:ncbi:9606\tpmcA1\t{human}\t{human + 5}\tHuman\t0\n"
        f"species:ncbi:9606\tpmcA1\t0\t5\tWrong\t0\n"
        "species:ncbi:1\tpmcA9\t0\t1\tx\t0\n", encoding="utf-8")
    records, rejections = _convert(linnaeus, tmp_path, catalog.registry)
    assert [(r.input, r.output) for r in records] == [
        ("Results", "None"),
        ("We infected mice with Plasmodium berghei.", "mice\nPlasmodium berghei"),
        ("Human cells (Fig. 2) were spared.", "Human"),
        ("No species here.", "None"),
    ]
    assert records[1].raw_id == "pmcA1-s2"
    assert sorted(r.origin for r in rejections) == ["tags.tsv, line 5", "tags.tsv, line 6"]


def test_bad_iob_line_rejected_with_file_and_line(linnaeus, catalog, tmp_path):
    (tmp_path / "devel.tsv").write_text("Mice\tB\n\nRats\tX-Y-Z\n\nYeast\tB\n", encoding="utf-8")
    records, rejections = _convert(linnaeus, tmp_path, catalog.registry)
    assert [r.output for r in records] == ["Mice", "Yeast"]
    assert [r.origin for r in rejections] == ["devel.tsv, line 3"]


def test_iob_sentence_tagged_two_ways_is_reported(linnaeus, catalog, tmp_path):
    # The real devel.tsv cuts "S. faecium" after "S ." (tagged B/I-Species) while "S ." elsewhere is an initial.
    (tmp_path / "train.tsv").write_text("S\tB-Species\n.\tI-Species\n\nfaecium\tB-Species\ngrew\tO\n\n"
                                        "S\tO\n.\tO\n\nmice\tB-Species\n\n", encoding="utf-8")
    (tmp_path / "test.tsv").write_text("mice\tB-Species\n\n", encoding="utf-8")
    records, rejections = _convert(linnaeus, tmp_path, catalog.registry)
    assert sorted((r.input, r.output) for r in records) == [("faecium grew", "faecium"), ("mice", "mice"),
                                                            ("mice", "mice")]
    assert sorted(r.origin for r in rejections) == ["train.tsv, line 1", "train.tsv, line 7"]
    assert "tagged with other species" in rejections[0].reason
