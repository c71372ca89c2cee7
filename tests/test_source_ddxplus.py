"""DDXPlus converter: evidence rendering, splits, zip input, malformed rows."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record

SAMPLE = Path(__file__).resolve().parents[1] / "sources" / "ddxplus" / "sample"


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def ddxplus(catalog):
    return catalog.get("ddxplus")


@pytest.fixture(scope="module")
def sample(ddxplus, catalog):
    return _convert(ddxplus, None, catalog.registry)


def test_sample_counts_and_labels(sample, catalog):
    records, rejections = sample
    assert rejections == []
    assert Counter((r.split.value, r.output) for r in records) == {
        ("train", "urti"): 1, ("train", "gerd"): 1, ("train", "pneumonia"): 1,
        ("test", "gerd"): 1, ("test", "urti"): 1,
    }
    labels = set(catalog.registry.get("task130").labels)
    assert {r.output for r in records} <= labels


def test_sample_first_patient_rendered(sample):
    first = sample[0][0]
    assert first.input == (
        "Age: 18\nSex: Male\n"
        "Initial complaint: Do you have a fever (either felt or measured with a thermometer)? Yes\n"
        "Do you have pain somewhere, related to your reason for consulting? Yes\n"
        "Characterize your pain: sensitive, tugging\n"
        "How intense is the pain? 4 (scale 0-10)\n"
        "Do you have a cough? Yes\n"
        "Have you traveled out of the country in the last 4 weeks? No"
    )
    assert first.output == "urti"
    assert first.origin == "release_train_patients.csv, line 2"
    zipped = next(r for r in sample[0] if r.origin.startswith("release_validate_patients.zip"))
    assert zipped.output == "pneumonia" and zipped.input.endswith("out of the country in the last 4 weeks? Africa")


def test_ids_deterministic(ddxplus, catalog, sample):
    again, _ = _convert(ddxplus, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_zip_and_extracted_copy_read_once(tmp_path, ddxplus, catalog):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    shutil.copy(raw / "release_train_patients.csv", raw / "release_train_patients")  # as extracted from the zip
    (raw / "release_train_patients.csv").unlink()
    records, rejections = _convert(ddxplus, raw, catalog.registry)
    assert rejections == [] and len(records) == 5


def test_bad_rows_are_reported(tmp_path, ddxplus, catalog):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    rows = (raw / "release_test_patients.csv").read_text("utf-8").splitlines()
    rows.append("40,\"[]\",F,Malaria,\"['E_77']\",E_77")
    rows.append("40,\"[]\",F,GERD,\"['E_999']\",E_999")
    rows.append("40,\"[]\",F,GERD,\"['E_54_@_V_999']\",E_54_@_V_999")
    (raw / "release_test_patients.csv").write_text("\n".join(rows) + "\n", "utf-8")
    records, rejections = _convert(ddxplus, raw, catalog.registry)
    assert len(records) == 5
    assert [(x.origin, x.reason) for x in rejections] == [
        ("release_test_patients.csv, line 4", "PATHOLOGY 'Malaria' is not in release_conditions.json"),
        ("release_test_patients.csv, line 5", "unknown evidence 'E_999'"),
        ("release_test_patients.csv, line 6", "unknown value 'V_999' of evidence 'E_54'"),
    ]


def test_missing_column_rejects_the_file(tmp_path, ddxplus, catalog):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    (raw / "release_test_patients.csv").write_text("AGE,SEX,PATHOLOGY\n1,M,GERD\n", "utf-8")
    records, rejections = _convert(ddxplus, raw, catalog.registry)
    assert len(records) == 3  # train and validate patients come first
    assert len(rejections) == 1 and "release_test_patients.csv, line 1" in rejections[0].origin
    assert "missing column(s) EVIDENCES, INITIAL_EVIDENCE" in rejections[0].reason
