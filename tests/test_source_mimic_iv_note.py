"""MIMIC-IV-Note converter: modality/region routing, patient split, discharge instructions."""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record

HEADER = ["note_id", "subject_id", "hadm_id", "note_type", "note_seq", "charttime", "storetime", "text"]


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def note(catalog):
    return catalog.get("mimic_iv_note")


@pytest.fixture(scope="module")
def sample(note, catalog):
    return _convert(note, None, catalog.registry)


def test_module_rules(note):
    module = sys.modules[type(note).__module__]
    modalities, anatomy = module.modalities, module.anatomy

    assert modalities("CT ABD & PELVIS WITH CONTRAST") == ["CT"]
    assert modalities("CTA CHEST W&W/O C&RECONS") == ["CT"]
    assert modalities("PATHOLOGY SPECIMEN RADIOGRAPH") == ["X-ray", "Pathology"]
    assert modalities("DUPLEX DOP ABD/PEL") == ["Ultrasound"]
    assert modalities("CHEST (PA AND LAT)") == []
    assert modalities("SCREENING MAMMOGRAM") == ["Mammogram"]
    assert anatomy("CT ABD & PELVIS WITH CONTRAST") == "Abdomen"
    assert anatomy("CT CHEST/ABD/PELVIS") == "Chest"
    assert anatomy("MR HEAD W & W/O CONTRAST") == "Head_and_neck"
    assert anatomy("CT C-SPINE W/O CONTRAST") == "Spine"
    assert anatomy("FOREHEAD LESION") is None


def test_sample_counts(sample):
    records, rejections = sample
    assert rejections == []
    counts = Counter((r.task_id, r.split.value) for r in records)
    assert counts[("task78", "test")] == 1 and counts[("task83", "test")] == 1
    assert {t for t, s in counts if s == "test"} == {"task78", "task83"}
    assert all(counts[(f"task{n}", "train")] == 1 for n in [78, 79, 80, 81, 82, *range(83, 95)])
    assert counts[("task95", "train")] == 17 and counts[("task96", "train")] == 13 and counts[("task76", "train")] == 1


def test_sample_exact_records(sample):
    records, _ = sample
    ct_head = next(r for r in records if r.task_id == "task84")
    assert ct_head.input == ("There is no intracranial hemorrhage, mass effect or midline shift. "
                             "The ventricles are normal in size.")
    assert ct_head.output == "No acute intracranial process."
    assert ct_head.origin == "radiology.csv, line 100 (note 18880001-RR-16)"
    us = next(r for r in records if r.task_id == "task78" and r.split.value == "train")
    assert us.input.splitlines()[1].startswith("GALLBLADDER: Multiple small mobile stones")
    assert us.output == ("1. Cholelithiasis without evidence of cholecystitis.\n"
                         "2. Echogenic liver consistent with steatosis.")
    specimen = next(r for r in records if r.task_id == "task95" and r.raw_id == next(
        x.raw_id for x in records if x.task_id == "task81"))
    assert specimen.output == "X-ray, Pathology"
    assert specimen.input.startswith("Findings: Specimen radiograph") and "\nImpression: Clip" in specimen.input
    assert {r.output for r in records if r.task_id == "task96"} == {
        "Chest", "Head_and_neck", "Brain", "Abdomen", "Pelvis", "Spine"}
    discharge = next(r for r in records if r.task_id == "task76")
    assert discharge.raw_id == "18880002-DS-5"
    assert discharge.input.endswith("Activity Status: Ambulatory - Independent.")
    assert discharge.output.startswith("Discharge Instructions:\nDear Ms. ___,\nYou were admitted for a kidney")
    assert discharge.output.endswith("Your ___ Care Team") and "Followup" not in discharge.output


def test_ids_deterministic(note, catalog, sample):
    again, _ = _convert(note, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_gzip_files_and_bad_rows(tmp_path, note, catalog):
    text = "EXAMINATION: CT HEAD\n\nFINDINGS:\n\n\nIMPRESSION: Normal.\n"
    good = "EXAMINATION: MR L SPINE\nFINDINGS: Mild disc bulge.\nIMPRESSION: Mild spondylosis.\n"
    rows = [["1-RR-1", "18880002", "", "RR", "1", "", "", text], ["1-RR-2", "18880002", "", "RR", "2", "", "", good],
            ["1-RR-3", "", "", "RR", "3", "", "", good]]
    (tmp_path / "radiology.csv.gz").write_bytes(gzip.compress(_csv(rows).encode()))
    records, rejections = _convert(note, tmp_path, catalog.registry)
    assert sorted(r.task_id for r in records) == ["task94", "task95", "task96"]
    assert [(x.origin, x.reason) for x in rejections] == [
        ("radiology.csv.gz, line 2 (note 1-RR-1)", "empty FINDINGS"),
        ("radiology.csv.gz, line 13", "empty note_id or subject_id"),
    ]


def test_missing_text_column(tmp_path, note, catalog):
    (tmp_path / "discharge.csv").write_text(_csv([["1", "2"]], ["note_id", "subject_id"]), "utf-8")
    records, rejections = _convert(note, tmp_path, catalog.registry)
    assert records == [] and rejections[0].origin == "discharge.csv, line 1"
    assert "missing column(s) text" in rejections[0].reason
