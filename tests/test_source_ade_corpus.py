"""ADE Corpus V2 source: sample per task, '|' inside sentences, bad lines, conflicts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("ade_corpus"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter(r.task_id for r in records) == {"task26": 5, "task29": 3, "task37": 5}
    assert {r.split.value for r in records} == {"train"}
    ner = {r.input: r.output for r in records if r.task_id == "task26"}
    assert ner["A patient on lithium and haloperidol presented with confusion and tremor."] == "lithium\nhaloperidol"
    assert ner["Rash | fever occurred with amoxicillin therapy."] == "amoxicillin"
    doses = {r.input: r.output for r in records if r.task_id == "task29"}
    assert doses["Sentence: Digoxin was increased from 0.125 mg to 0.25 mg per day.\nDrug: Digoxin"] == (
        "0.25 mg, 0.125 mg")
    assert doses[
        "Sentence: She received methotrexate 15 mg weekly and prednisone 10 mg daily.\nDrug: prednisone"] == "10 mg"
    labels = Counter(r.output for r in records if r.task_id == "task37")
    assert labels == {"adverse drug event": 3, "non-adverse drug event": 2}
    first = records[0]
    assert (first.raw_id, first.origin) == ("90000101-DRUG-AE-1", "DRUG-AE.rel, line 1")
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_bad_lines_and_conflicting_negative_reported(catalog, tmp_path):
    (tmp_path / "DRUG-AE.rel").write_text(
        "1|Aspirin caused bleeding.|bleeding|15|23|Aspirin|0|7\n"
        "2|Too few fields|x\n"
        "3|Heparin was stopped.|thrombocytopenia|0|5|Heparin|0|7\n", encoding="utf-8")
    (tmp_path / "ADE-NEG.txt").write_text(
        "1 NEG Aspirin caused bleeding.\n4 POS Something else.\n5 NEG Nothing happened.\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.output) for r in records] == [
        ("task26", "Aspirin"), ("task37", "adverse drug event"), ("task37", "non-adverse drug event"),
    ]
    assert [r.origin for r in rejections] == [
        "DRUG-AE.rel, line 2", "DRUG-AE.rel, line 3", "ADE-NEG.txt, line 1", "ADE-NEG.txt, line 2",
    ]
    assert "'thrombocytopenia' does not occur" in rejections[1].reason


def test_no_native_file_is_one_rejection(catalog, tmp_path):
    (tmp_path / "README").write_text("x", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert records == [] and len(rejections) == 1 and "no ADE corpus file" in rejections[0].reason
