"""MedNLI converter: the synthetic sample, triplets, and malformed lines."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def mednli(catalog):
    return catalog.get("mednli")


@pytest.fixture(scope="module")
def sample(mednli, catalog):
    return _convert(mednli, None, catalog.registry)


def test_sample_counts_per_task_and_split(sample):
    records, rejections = sample
    assert rejections == []
    counts = Counter((r.task_id, r.split.value) for r in records)
    assert counts == {
        ("task41", "train"): 8, ("task41", "test"): 3,
        ("task42", "train"): 4, ("task42", "test"): 1,
        ("task43", "train"): 2, ("task44", "train"): 1,
    }


def test_sample_exact_records(sample):
    records, _ = sample
    first = records[0]
    assert (first.task_id, first.input, first.output) == (
        "task41",
        "sentence1: Labs were notable for a potassium of 6.1 and a creatinine of 2.4.\n"
        "sentence2: The patient has hyperkalemia.",
        "entailment",
    )
    assert first.origin == "mli_train_v1.jsonl, line 1"
    assert first.license == "LicenseRef-PhysioNet-Credentialed-Health-Data-1.5.0"
    contra = next(r for r in records if r.task_id == "task43")
    assert (contra.input, contra.output) == (
        "Labs were notable for a potassium of 6.1 and a creatinine of 2.4.", "The patient has normal electrolytes.")
    triplet = next(r for r in records if r.task_id == "task44")
    assert triplet.input.startswith("Premise: Labs were notable")
    lines = dict(line.split(": ", 1) for line in triplet.input.splitlines()[1:])
    verdicts = dict(line.split(": ", 1) for line in triplet.output.splitlines())
    assert {lines[k]: v for k, v in verdicts.items()} == {
        "The patient has hyperkalemia.": "right",
        "The patient has normal electrolytes.": "wrong",
        "The patient takes an ACE inhibitor.": "indeterminable",
    }


def test_test_file_feeds_only_benchmark_tasks(sample):
    records, _ = sample
    assert {r.task_id for r in records if r.split.value == "test"} == {"task41", "task42"}
    assert all(r.origin.startswith("mli_test_v1.jsonl") for r in records if r.split.value == "test")


def test_ids_deterministic(mednli, catalog, sample):
    again, _ = _convert(mednli, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in sample[0]]
    assert len({r.id for r in again}) == len(again)


def test_malformed_lines_are_reported(tmp_path, mednli, catalog):
    good = {"sentence1": "P.", "sentence2": "H.", "gold_label": "neutral", "pairID": "x1"}
    lines = [json.dumps(good), "{not json", json.dumps({**good, "gold_label": "-", "pairID": "x2"}),
             json.dumps({k: v for k, v in good.items() if k != "sentence2"})]
    (tmp_path / "mli_train_v1.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    records, rejections = _convert(mednli, tmp_path, catalog.registry)
    assert [r.raw_id for r in records] == ["x1"]
    assert [r.origin for r in rejections] == [
        "mli_train_v1.jsonl, line 2", "mli_train_v1.jsonl, line 3", "mli_train_v1.jsonl, line 4"]
    assert "gold_label '-'" in rejections[1].reason and "'sentence2'" in rejections[2].reason
