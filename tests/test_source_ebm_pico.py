"""EBM-NLP source: sample per PICO task and split, folders not read, bad label files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record

SPANS = Path("annotations/aggregated/starting_spans")


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("ebm_pico"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter((r.task_id, r.split.value) for r in records) == {
        ("task1", "train"): 6, ("task1", "test"): 3, ("task2", "train"): 6, ("task2", "test"): 3,
        ("task3", "train"): 6, ("task3", "test"): 3,
    }
    by_key = {(r.task_id, r.raw_id): r for r in records}
    second = by_key[("task2", "90000401-s2")]
    assert second.input == "Workers received yoga or usual care for 12 weeks ."
    assert second.output == "yoga, usual care"
    assert second.origin == "90000401.AGGREGATED.ann, sentence 2"
    assert by_key[("task1", "90000402-s2")].output == "300 children aged 6 to 59 months"
    assert by_key[("task3", "90000401-s3")].output == "Pain scores, sick leave"
    assert by_key[("task1", "90000401-s3")].output == "not found"
    # The test document's gold labels are read, not its all-ones crowd labels.
    assert by_key[("task1", "90000403-s3")].output == "not found"
    assert by_key[("task3", "90000403-s3")].input == "Were costs reduced ?"
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_mismatched_and_orphan_label_files_reported(catalog, tmp_path):
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "1.tokens").write_text("Aspirin for adults .\n", encoding="utf-8")  # one line
    folder = tmp_path / SPANS / "interventions" / "train"
    folder.mkdir(parents=True)
    (folder / "1.AGGREGATED.ann").write_text("1 0 0 0\n", encoding="utf-8")
    (folder / "2.AGGREGATED.ann").write_text("0\n0\n", encoding="utf-8")
    other = tmp_path / SPANS / "outcomes" / "train"
    other.mkdir(parents=True)
    (other / "1.AGGREGATED.ann").write_text("0\n1\n", encoding="utf-8")
    (tmp_path / SPANS / "participants" / "train").mkdir(parents=True)
    (tmp_path / SPANS / "participants" / "train" / "1.AGGREGATED.ann").write_text("0\nx\n0\n0\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.input, r.output) for r in records] == [("task2", "Aspirin for adults .", "Aspirin")]
    reasons = {r.origin: r.reason for r in rejections}
    assert reasons == {
        "annotations/aggregated/starting_spans/interventions/train/2.AGGREGATED.ann":
            "no documents/2.tokens for these labels",
        "annotations/aggregated/starting_spans/outcomes/train/1.AGGREGATED.ann": "2 labels for 4 tokens in 1.tokens",
        "annotations/aggregated/starting_spans/participants/train/1.AGGREGATED.ann, token 2":
            "label 'x' is not a number",
    }
