"""Hallmarks of Cancer source: sample, BLURB split, label parsing quirks, bad documents."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("hoc"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts_with_blurb_split(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter(r.split.value for r in records) == {"train": 3, "test": 1}
    by_id = {r.raw_id: r for r in records}
    assert by_id["90000202"].split.value == "test"
    assert by_id["90000202"].output == "inducing angiogenesis, activating invasion and metastasis"
    assert by_id["90000201"].input.startswith(
        "Growth factor receptors were overexpressed in the invented tumour samples . Blocking the receptor")
    # 'ANDResisting' (no space) and sub-classes after '--' are parsed; order follows the task card.
    assert by_id["90000201"].output == "sustaining proliferative signaling, resisting cell death"
    assert by_id["90000204"].output == (
        "genomic instability and mutation, tumor promoting inflammation, avoiding immune destruction")
    assert by_id["90000203"].output == "none"
    assert by_id["90000203"].origin == "90000203.txt, document 90000203"
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_without_index_all_train_and_bad_documents_reported(catalog, tmp_path):
    (tmp_path / "text").mkdir()
    (tmp_path / "labels").mkdir()
    (tmp_path / "text" / "1.txt").write_text("One sentence .\n", encoding="utf-8")
    (tmp_path / "labels" / "1.txt").write_text("<Inducing angiogenesis--x", encoding="utf-8")
    (tmp_path / "text" / "2.txt").write_text("First .\nSecond .\n", encoding="utf-8")
    (tmp_path / "labels" / "2.txt").write_text("< ", encoding="utf-8")  # one group for two sentences
    (tmp_path / "text" / "3.txt").write_text("Odd .\n", encoding="utf-8")
    (tmp_path / "labels" / "3.txt").write_text("<Growing wings--x", encoding="utf-8")
    (tmp_path / "labels" / "4.txt").write_text("< ", encoding="utf-8")  # no text file
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.raw_id, r.split.value, r.output) for r in records] == [("1", "train", "inducing angiogenesis")]
    assert [r.origin.split("/")[-1] for r in rejections] == ["2.txt", "3.txt", "4.txt"]
    assert "1 label groups for 2 sentences" in rejections[0].reason
    assert "unknown hallmark 'growing wings'" in rejections[1].reason
