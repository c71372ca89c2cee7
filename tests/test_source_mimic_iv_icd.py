"""MIMIC-IV ICD-10 coding converter: the join, code order, ICD-9 admissions, bad codes."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record

SAMPLE = Path(__file__).resolve().parents[1] / "sources" / "mimic_iv_icd" / "sample"


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def icd(catalog):
    return catalog.get("mimic_iv_icd")


def test_sample_codes_in_priority_order(icd, catalog):
    records, rejections = _convert(icd, None, catalog.registry)
    assert rejections == []
    assert [(r.raw_id, r.output) for r in records] == [
        ("17770001-DS-3", "I5023, I10, E785"), ("17770002-DS-1", "E1165, N390, Z794")]  # ICD-9 admission left out
    assert {(r.task_id, r.split.value) for r in records} == {("task116", "train")}
    assert records[0].input.startswith("Name:  ___") and "Diuresed with IV furosemide." in records[0].input
    assert records[0].origin == "discharge.csv, line 2 (note 17770001-DS-3)"
    again, _ = _convert(icd, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in records]


def test_gzip_and_unknown_code(tmp_path, icd, catalog):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    diagnoses = raw / "hosp" / "diagnoses_icd.csv"
    text = diagnoses.read_text("utf-8") + "17770002,23000002,4,XX999,10\n17770002,23000002,x,N390,10\n"
    (raw / "hosp" / "diagnoses_icd.csv.gz").write_bytes(gzip.compress(text.encode()))
    diagnoses.unlink()
    records, rejections = _convert(icd, raw, catalog.registry)
    assert [r.output for r in records] == ["I5023, I10, E785", "E1165, N390, Z794"]
    assert [(x.origin, x.reason) for x in rejections] == [
        ("hosp/diagnoses_icd.csv.gz, line 10", "ICD-10 code 'XX999' is not in d_icd_diagnoses"),
        ("hosp/diagnoses_icd.csv.gz, line 11", "seq_num 'x' is not a number"),
    ]


def test_missing_column(tmp_path, icd, catalog):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    (raw / "hosp" / "diagnoses_icd.csv").write_text("subject_id,hadm_id,icd_code\n1,2,I10\n", "utf-8")
    records, rejections = _convert(icd, raw, catalog.registry)
    assert records == [] and rejections[0].origin == "hosp/diagnoses_icd.csv, line 1"
    assert "missing column(s) seq_num, icd_version" in rejections[0].reason
