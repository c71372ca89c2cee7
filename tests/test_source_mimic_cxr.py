"""MIMIC-CXR converter: sections in any order, reports without findings, split rules."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record

SAMPLE = Path(__file__).resolve().parents[1] / "sources" / "mimic_cxr" / "sample"


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def cxr(catalog):
    return catalog.get("mimic_cxr")


def test_sample_records(cxr, catalog):
    records, rejections = _convert(cxr, None, catalog.registry)
    assert rejections == []
    by_id = {r.raw_id: r for r in records}
    assert sorted(by_id) == ["p19990001/s50000001", "p19990002/s50000002", "p19990015/s50000004"]
    first = by_id["p19990001/s50000001"]
    assert first.input == ("There is a new patchy opacity in the right lower lobe concerning for pneumonia. "
                           "No pleural effusion or pneumothorax. The cardiomediastinal silhouette is normal.")
    assert first.output == "Right lower lobe opacity, likely pneumonia."
    assert first.origin == "p19990001/s50000001.txt" and first.split.value == "train"
    assert by_id["p19990002/s50000002"].output.startswith("Right internal jugular line ends")  # impression first
    test = by_id["p19990015/s50000004"]
    assert test.split.value == "test"
    assert test.output == ("1. Moderate bilateral pleural effusions. "
                           "2. Mild pulmonary vascular congestion and cardiomegaly.")  # NOTIFICATION left out
    again, _ = _convert(cxr, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in records]


def test_official_split_file_decides(tmp_path, cxr, catalog):
    shutil.copytree(SAMPLE, tmp_path / "raw")
    split = "dicom_id,study_id,subject_id,split\nd1,50000001,19990001,test\nd2,50000004,19990015,train\n"
    (tmp_path / "raw" / "mimic-cxr-2.0.0-split.csv.gz").write_bytes(gzip.compress(split.encode()))
    records, _ = _convert(cxr, tmp_path / "raw", catalog.registry)
    assert {r.raw_id: r.split.value for r in records} == {
        "p19990001/s50000001": "test", "p19990002/s50000002": "train", "p19990015/s50000004": "train"}


def test_empty_section_is_reported(tmp_path, cxr, catalog):
    folder = tmp_path / "files" / "p10" / "p10000001"
    folder.mkdir(parents=True)
    (folder / "s1.txt").write_text(" FINDINGS:\n\n IMPRESSION:\n No change.\n", "utf-8")
    (folder / "notes.txt").write_text("FINDINGS: x\nIMPRESSION: y\n", "utf-8")
    records, rejections = _convert(cxr, tmp_path, catalog.registry)
    assert records == []
    assert [(x.origin, x.reason) for x in rejections] == [("files/p10/p10000001/s1.txt", "empty FINDINGS section")]


def test_undecodable_report_does_not_stop_the_others(tmp_path, cxr, catalog):
    # A report that is not UTF-8 is reported through the report callback; the other reports still convert.
    bad = tmp_path / "files" / "p10" / "p10000001"
    good = tmp_path / "files" / "p10" / "p10000002"
    bad.mkdir(parents=True)
    good.mkdir(parents=True)
    (bad / "s50000001.txt").write_bytes(b"FINDINGS: Clear \xff lungs.\n\nIMPRESSION: Normal.\n")
    (good / "s50000002.txt").write_text("FINDINGS: Clear lungs.\n\nIMPRESSION: Normal chest.\n")
    records, rejections = _convert(cxr, tmp_path, catalog.registry)
    assert [(r.raw_id, r.output) for r in records] == [("p10000002/s50000002", "Normal chest.")]
    assert [x.origin.split(",")[0] for x in rejections] == ["files/p10/p10000001/s50000001.txt"]
