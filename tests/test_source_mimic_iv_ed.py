"""MIMIC-IV-ED benchmark converter: variable lines, outcomes, patient split, benchmark split files."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record

SAMPLE = Path(__file__).resolve().parents[1] / "sources" / "mimic_iv_ed" / "sample" / "master_dataset.csv"


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def ed(catalog):
    return catalog.get("mimic_iv_ed")


@pytest.fixture(scope="module")
def sample(ed, catalog):
    return _convert(ed, None, catalog.registry)


def test_sample_counts_outcomes_and_split(sample):
    records, rejections = sample
    assert rejections == []
    assert Counter((r.task_id, r.output) for r in records) == {
        ("task117", "True"): 3, ("task117", "False"): 3,
        ("task118", "True"): 2, ("task118", "False"): 4,
        ("task119", "True"): 2, ("task119", "False"): 4,
    }
    test_stays = {r.raw_id for r in records if r.split.value == "test"}
    assert test_stays == {"30000075", "30000186"}  # subjects 19990001 and 19990008
    assert all(r.split.value == "test" for r in records if r.raw_id in test_stays)


def test_sample_inputs_follow_the_upstream_variable_lists(sample):
    records, _ = sample
    hosp = next(r for r in records if r.task_id == "task117")
    lines = hosp.input.splitlines()
    assert lines[:3] == ["age: 30", "gender: M", "n_ed_30d: 0"]
    assert "triage_heartrate: 70" in lines and "chiefcomplaint: CHEST PAIN" in lines
    assert lines.index("chiefcomplaint: CHEST PAIN") == lines.index("chiefcom_dizziness: 0") + 1
    assert not any(line.startswith("ed_los") for line in lines)
    revisit = next(r for r in records if r.task_id == "task118" and r.raw_id == "30000112")
    assert "ed_o2sat_last: NA" in revisit.input.splitlines()  # empty value
    assert "triage_heartrate" not in revisit.input and revisit.input.endswith("n_med: 3\nn_medrecon: 6")
    assert hosp.origin == "master_dataset.csv, line 2"


def test_ids_deterministic(ed, catalog, sample):
    again, _ = _convert(ed, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def _rows() -> tuple[list[str], list[dict[str, str]]]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def test_benchmark_train_test_files_are_preferred(tmp_path, ed, catalog):
    header, rows = _rows()
    _write(tmp_path / "master_dataset.csv", header, rows)
    _write(tmp_path / "train.csv", header, rows[:4])
    _write(tmp_path / "test.csv", header, rows[4:])
    records, rejections = _convert(ed, tmp_path, catalog.registry)
    assert rejections == [] and len(records) == 18
    assert Counter(r.split.value for r in records) == {"train": 12, "test": 6}
    assert {r.origin.split(",")[0] for r in records} == {"train.csv", "test.csv"}


def test_bad_outcome_and_missing_column(tmp_path, ed, catalog):
    header, rows = _rows()
    rows[1]["outcome_critical"] = "maybe"
    _write(tmp_path / "master_dataset.csv", header, rows)
    records, rejections = _convert(ed, tmp_path, catalog.registry)
    assert len(records) == 17
    assert [(x.origin, x.reason) for x in rejections] == [
        ("master_dataset.csv, line 3", "outcome_critical 'maybe' is not True/False")]
    _write(tmp_path / "master_dataset.csv", [h for h in header if h != "triage_acuity"],
           [{k: v for k, v in r.items() if k != "triage_acuity"} for r in rows])
    records, rejections = _convert(ed, tmp_path, catalog.registry)
    assert records == [] and "missing column(s) triage_acuity" in rejections[0].reason
