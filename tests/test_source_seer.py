"""SEER converter: field lines, label set, hash split, malformed exports."""

from __future__ import annotations

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
def seer(catalog):
    return catalog.get("seer")


def test_sample(seer, catalog):
    records, rejections = _convert(seer, None, catalog.registry)
    assert rejections == []
    assert Counter(r.split.value for r in records) == {"train": 4, "test": 2}
    assert [r.raw_id for r in records if r.split.value == "test"] == [
        "Query_5_years.csv:00100004", "Query_5_years.csv:00100013"]
    first = records[0]
    assert first.output == "Radiation after surgery"
    lines = first.input.splitlines()
    assert lines[0] == "Age recode with <1 year olds: 55-59 years"
    assert "Chemotherapy recode (yes, no/unk): No/Unknown" in lines
    assert not any(line.startswith(("Patient ID", "stutus_5_years", "Radiation sequence")) for line in lines)
    assert set(r.output for r in records) <= set(catalog.registry.get("task131").labels)
    again, _ = _convert(seer, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in records]


def test_unknown_sequence_and_bad_rows_reported(tmp_path, seer, catalog):
    (tmp_path / "Query_5_years.csv").write_text(
        "Patient ID,Sex,Radiation sequence with surgery\n"
        "00000001,Female,Radiation after surgery\n"
        "00000002,Female,\"Sequence unknown, but both were given\"\n"
        "00000003,Female\n", "utf-8")
    records, rejections = _convert(seer, tmp_path, catalog.registry)
    assert [(r.input, r.output) for r in records] == [("Sex: Female", "Radiation after surgery")]
    assert [(x.origin, x.reason) for x in rejections] == [
        ("Query_5_years.csv, line 3",
         "Radiation sequence with surgery 'Sequence unknown, but both were given' "
         "is not one of the task's seven values"),
        ("Query_5_years.csv, line 4", "expected 3 fields, found 2"),
    ]


def test_export_without_label_column(tmp_path, seer, catalog):
    (tmp_path / "export.csv").write_text("Patient ID,Sex\n1,Female\n", "utf-8")
    records, rejections = _convert(seer, tmp_path, catalog.registry)
    assert records == [] and rejections[0].origin == "export.csv, line 1"
    assert "missing column(s) Radiation sequence with surgery" in rejections[0].reason
