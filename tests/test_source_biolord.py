"""BioLORD converter: the three tasks, candidates, name split, column handling."""

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
def biolord(catalog):
    return catalog.get("biolord")


@pytest.fixture(scope="module")
def sample(biolord, catalog):
    return _convert(biolord, None, catalog.registry)


def test_sample_counts(sample):
    records, rejections = sample
    assert rejections == []
    assert Counter((r.task_id, r.split.value) for r in records) == {
        ("task48", "train"): 5, ("task49", "train"): 6, ("task50", "train"): 6, ("task50", "test"): 1}
    assert [r.input for r in records if r.split.value == "test"] == ["atrial fibrillation"]


def test_sample_exact_records(sample):
    records, _ = sample
    definition = next(r for r in records if r.task_id == "task50")
    assert (definition.input, definition.output) == (
        "acute appendicitis",
        "acute appendicitis is a kind of appendicitis that has a sudden onset, located in the vermiform appendix.")
    assert definition.origin == "BioLORD-Dataset.csv, line 2"
    # the second description of the same concept feeds task49, not a second task50 output
    assert [r.output for r in records if r.task_id == "task49"][:2] == ["acute appendicitis", "acute appendicitis"]
    # a synonym sharing the previous row's definition gives no second task49 input
    assert sum(r.input == "The presence of one or more stones in the gallbladder." for r in records
               if r.task_id == "task49") == 1
    match = next(r for r in records if r.task_id == "task48" and r.output == "hypokalemia")
    lines = match.input.splitlines()
    assert lines[0] == "Definition: An abnormally low concentration of potassium in the blood."
    assert lines[1] == "Candidates:"
    assert sorted(lines[2:]) == ["- cholelithiasis", "- gallstone disease", "- hypokalemia", "- metformin"]
    synonym = next(r for r in records if r.task_id == "task48" and r.output == "gallstone disease")
    assert "- cholelithiasis" not in synonym.input  # same definition: not a distractor
    assert all("atrial fibrillation" not in r.input for r in records if r.task_id == "task48")  # test name


def test_ids_deterministic(biolord, catalog, sample):
    again, _ = _convert(biolord, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_jsonl_tsv_and_bad_rows(tmp_path, biolord, catalog):
    lines = [{"concept_name": "gout", "description": "Arthritis caused by urate crystal deposition."},
             {"concept_name": "", "description": "x"}]
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    (tmp_path / "more.tsv").write_text("term\ttext\nrickets\tSoftening of bones in children.\n", "utf-8")
    records, rejections = _convert(biolord, tmp_path, catalog.registry)
    assert {r.input for r in records if r.task_id == "task50"} == {"rickets", "gout"}
    assert [(x.origin, x.reason) for x in rejections] == [
        ("pairs.jsonl, line 2", "empty or missing 'concept_name' or 'description'")]


def test_unknown_columns_reject_the_file(tmp_path, biolord, catalog):
    (tmp_path / "pairs.csv").write_text("label,gloss\na,b\n", "utf-8")
    records, rejections = _convert(biolord, tmp_path, catalog.registry)
    assert records == [] and rejections[0].origin == "pairs.csv, line 2"
    assert "no name column" in rejections[0].reason and "found label, gloss" in rejections[0].reason
