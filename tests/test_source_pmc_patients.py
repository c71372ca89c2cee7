"""PMC-Patients source: the CSV sample, the official test split, retrieval items, bad rows."""

from __future__ import annotations

import ast
import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "pmc_patients"
SAMPLE = Path(__file__).resolve().parents[1] / "sources" / SOURCE / "sample"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def sample_rows() -> dict[str, dict[str, str]]:
    with (SAMPLE / "PMC-Patients.csv").open(encoding="utf-8", newline="") as handle:
        return {row["patient_uid"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_counts_and_splits(sample):
    records, rejections = sample
    assert rejections == []
    assert Counter((r.task_id, r.split.value) for r in records) == {
        ("task73", "train"): 7, ("task74", "train"): 7, ("task74", "test"): 1, ("task75", "train"): 5,
    }
    # The official test patient (test_patient_uids.json) is only a task74 test item.
    test_uid = json.loads((SAMPLE / "test_patient_uids.json").read_text())[0]
    assert [(r.task_id, r.split) for r in records if r.raw_id == test_uid] == [("task74", Split.TEST)]
    test_text = sample_rows()[test_uid]["patient"]
    assert not any(test_text in r.input for r in records if r.split is Split.TRAIN)


def test_titles_and_demographics_equal_the_columns(sample):
    rows = sample_rows()
    records, _ = sample
    for record in records:
        row = rows[record.raw_id]
        if record.task_id == "task73":
            assert (record.input, record.output) == (row["patient"], row["title"])
        elif record.task_id == "task74":
            assert record.input == row["patient"]
            assert record.output == f"Gender: {row['gender']} Age: {row['age']}"
    infant = next(r for r in records if r.task_id == "task74" and r.raw_id == "9000005-1")
    assert infant.output == "Gender: M Age: [[1.0, 'year'], [6.0, 'month']]"
    assert infant.origin == "PMC-Patients.csv, line 7"


def test_retrieval_answers_are_the_annotated_similar_patients(sample):
    rows = sample_rows()
    text_to_uid = {row["patient"]: uid for uid, row in rows.items()}
    items = [r for r in sample[0] if r.task_id == "task75"]
    assert [r.raw_id for r in items] == ["9000001-1", "9000002-1", "9000003-1", "9000004-1", "9000004-2"]
    for record in items:
        lines = record.input.split("\n")
        assert lines[0] == f"Query: {rows[record.raw_id]['patient']}"
        cases = [re.match(r"Case(\d+): (.*)", line).groups() for line in lines[1:]]
        assert [int(n) for n, _ in cases] == list(range(1, len(cases) + 1))
        assert len(cases) == 5
        uids = [text_to_uid[text] for _, text in cases]
        similar = ast.literal_eval(rows[record.raw_id]["similar_patients"])
        expected = [f"Case{n}" for (n, _), uid in zip(cases, uids, strict=True) if uid in similar]
        assert record.output == ", ".join(expected)
        assert record.raw_id not in uids
        # Negatives never come from the query's own article.
        pmid = rows[record.raw_id]["PMID"]
        assert all(rows[uid]["PMID"] != pmid or uid in similar for uid in uids)
    first = items[0]
    assert first.output.count("Case") == 2  # 9000001-1 has two similar patients in the corpus


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]
    assert [r.input for r in again] == [r.input for r in sample[0]]


def test_json_export_when_no_csv(tmp_path, catalog):
    items = [
        {"patient_uid": "1-1", "PMID": "1", "title": "T one", "patient": "A 5-month-old girl with fever.",
         "age": [[5.0, "month"]], "gender": "F", "similar_patients": {"2-1": 1}},
        {"patient_uid": "2-1", "PMID": "2", "title": "T two", "patient": "A 70-year-old man with cough.",
         "age": [[70.0, "year"]], "gender": "M", "similar_patients": ["1-1"]},
        {"patient_uid": "3-1", "PMID": "3", "title": "T three", "patient": "A 33-year-old with rash.",
         "age": [[33.0, "year"]], "gender": "X", "similar_patients": {}},
    ]
    (tmp_path / "PMC-Patients.json").write_text(json.dumps(items))
    records, rejections = convert(catalog, tmp_path)
    assert [(r.task_id, r.raw_id, r.output) for r in records if r.task_id == "task74"] == [
        ("task74", "1-1", "Gender: F Age: [[5.0, 'month']]"),
        ("task74", "2-1", "Gender: M Age: [[70.0, 'year']]"),
    ]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("PMC-Patients.json, record 3", "task74: gender 'X' is not M or F"),
    ]
    retrieval = [r for r in records if r.task_id == "task75"]
    # Too few patients for five candidates: every eligible one is a candidate.
    assert [(r.raw_id, r.input, r.output) for r in retrieval] == [
        ("1-1", "Query: A 5-month-old girl with fever.\nCase1: A 70-year-old man with cough.\n"
                "Case2: A 33-year-old with rash.", "Case1"),
        ("2-1", "Query: A 70-year-old man with cough.\nCase1: A 33-year-old with rash.\n"
                "Case2: A 5-month-old girl with fever.", "Case2"),
    ]


def test_missing_column_names_the_file(tmp_path, catalog):
    (tmp_path / "PMC-Patients.csv").write_text("patient_uid,patient,title\n1-1,text,title\n")
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert len(rejections) == 1
    assert rejections[0].origin == "PMC-Patients.csv, line 1"
    assert rejections[0].reason.startswith("missing column(s) PMID, age, gender, similar_patients")


def test_bad_age_row_reported_with_line(tmp_path, catalog):
    rows = sample_rows()
    fields = list(next(iter(rows.values())))
    with (tmp_path / "PMC-Patients.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerow({**rows["9000001-1"], "age": "[[54.0, 'decade']]"})
    records, rejections = convert(catalog, tmp_path)
    assert [r.task_id for r in records] == ["task73"]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("PMC-Patients.csv, line 2",
         "task74: age part [54.0, 'decade'] is not [value, unit] with unit in year, month, week, day, hour"),
    ]


def test_truncated_json_export_does_not_stop_the_other_files(tmp_path, catalog):
    # PMC-Patients*.json: a cut file is reported through the report callback and the next file still read.
    one = {"patient_uid": "1-1", "PMID": "1", "title": "T one", "patient": "A 5-month-old girl with fever.",
           "age": [[5.0, "month"]], "gender": "F", "similar_patients": {}}
    two = {**one, "patient_uid": "2-1", "PMID": "2", "title": "T two", "gender": "M"}
    (tmp_path / "PMC-Patients-A.json").write_text(json.dumps([one, two])[:-40])
    (tmp_path / "PMC-Patients-B.json").write_text(json.dumps([{**two, "patient_uid": "3-1", "PMID": "3"}]))
    records, rejections = convert(catalog, tmp_path)
    assert sorted(r.raw_id for r in records if r.task_id == "task74") == ["1-1", "3-1"]
    assert [r.origin.split(",")[0] for r in rejections] == ["PMC-Patients-A.json"]
    assert "truncated or malformed JSON" in rejections[0].reason
