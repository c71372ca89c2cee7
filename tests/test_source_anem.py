"""AnEM source: BRAT sample per task, sentences, stale annotations, missing documents."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("anem"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter(r.task_id for r in records) == {"task35": 7, "task36": 7}
    assert {r.split.value for r in records} == {"train"}
    cells = {r.raw_id: r.output for r in records if r.task_id == "task35"}
    substances = {r.raw_id: r.output for r in records if r.task_id == "task36"}
    assert cells["PMID-90000301-s2"] == "Hepatocytes\nKupffer cells"
    assert substances["PMID-90000301-s2"] == "blood\nbile"
    assert substances["PMC-90000302-sec-01-s2"] == "saliva\nurine"
    assert cells["PMC-90000302-sec-01-s3"] == "None"  # Skin is an Organ, not a cell
    sentence = next(r for r in records if r.raw_id == "PMC-90000302-sec-01-s2")
    assert sentence.input == "T lymphocytes were isolated from saliva and urine samples."
    assert sentence.origin == "PMC-90000302-sec-01.txt, sentence 2 (offset 8)"
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_stale_annotation_and_orphan_reported(catalog, tmp_path):
    (tmp_path / "PMID-1.txt").write_text("Plasma cells secrete antibodies into serum.\n", encoding="utf-8")
    (tmp_path / "PMID-1.ann").write_text(
        "T1\tCell 0 12\tPlasma cells\nT2\tOrganism_substance 37 42\tserum\nT3\tCell 0 5\tWrong\n", encoding="utf-8")
    (tmp_path / "PMID-2.ann").write_text("T1\tCell 0 4\tCell\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.output) for r in records] == [("task35", "Plasma cells"), ("task36", "serum")]
    assert [r.origin for r in rejections] == ["PMID-1.ann, line 3", "PMID-2.ann"]
    assert "'Wrong'" in rejections[0].reason and "no .txt document" in rejections[1].reason


def test_no_document_is_one_rejection(catalog, tmp_path):
    (tmp_path / "README").write_text("x", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert records == [] and len(rejections) == 1 and "no AnEM standoff document" in rejections[0].reason
