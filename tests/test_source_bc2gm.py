"""BC2GM source: BioBERT IOB sample, the original .in + GENE.eval form, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(source, raw, registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def bc2gm(catalog):
    return catalog.get("bc2gm")


def test_sample_converts(bc2gm, catalog):
    records, rejections = _convert(bc2gm, None, catalog.registry)
    assert rejections == []
    assert len(records) == 7 and {(r.task_id, r.split.value) for r in records} == {("task31", "train")}
    by_input = {r.input: r.output for r in records}
    assert by_input["The tumour suppressor protein p53 binds DNA ."] == "tumour suppressor protein p53"
    assert by_input["Expression of IL - 2 and TNF alpha rose ."] == "IL - 2\nTNF alpha"
    assert by_input["No gene is named here ."] == "None"
    first = records[0]
    assert (first.raw_id, first.origin) == ("devel-1", "devel.tsv, line 1")


def test_ids_deterministic(bc2gm, catalog):
    first, _ = _convert(bc2gm, None, catalog.registry)
    again, _ = _convert(bc2gm, None, catalog.registry)
    assert [r.id for r in first] == [r.id for r in again]
    assert len({r.id for r in first}) == len(first)


def test_original_files_use_non_space_offsets(bc2gm, catalog, tmp_path):
    (tmp_path / "train.in").write_text(
        "P001T1 Levels of IL - 2 receptor alpha rose .\nP002T1 Nothing here .\n", encoding="utf-8")
    # "IL-2receptoralpha" is non-space characters 8..24 of the first sentence.
    (tmp_path / "GENE.eval").write_text("P001T1|8 24|IL - 2 receptor alpha\nP001T1|0 5|Wrong\n", encoding="utf-8")
    records, rejections = _convert(bc2gm, tmp_path, catalog.registry)
    assert [(r.input, r.output, r.raw_id) for r in records] == [
        ("Levels of IL - 2 receptor alpha rose .", "IL - 2 receptor alpha", "train-P001T1"),
        ("Nothing here .", "None", "train-P002T1"),
    ]
    assert [r.origin for r in rejections] == ["GENE.eval, line 2"]


def test_bad_iob_line_rejected_with_file_and_line(bc2gm, catalog, tmp_path):
    (tmp_path / "train.tsv").write_text("BRCA1\tB\nis\tO\n\nbad\tO\textra\n.\tO\n\np53\tB\n", encoding="utf-8")
    records, rejections = _convert(bc2gm, tmp_path, catalog.registry)
    assert [r.output for r in records] == ["BRCA1", "p53"]
    assert [r.origin for r in rejections] == ["train.tsv, line 4"]


def test_no_native_file_is_one_rejection(bc2gm, catalog, tmp_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    records, rejections = _convert(bc2gm, tmp_path, catalog.registry)
    assert records == [] and len(rejections) == 1 and "no BC2GM file" in rejections[0].reason
