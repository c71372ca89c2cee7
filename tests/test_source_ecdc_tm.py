"""ECDC-TM source: UTF-16 TMX sample, language pairs per task, malformed XML."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("ecdc_tm"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter(r.task_id for r in records) == {"task19": 3, "task20": 3, "task21": 3}
    assert {r.split.value for r in records} == {"train"}
    pairs = {(r.task_id, r.raw_id): (r.input, r.output, r.input_language, r.output_language) for r in records}
    assert pairs[("task19", "ECDC-2")] == (
        "Wash your hands often with soap and water.", "Tvätta händerna ofta med tvål och vatten.", "en", "sv")
    assert pairs[("task21", "ECDC-2")] == (
        "Lavez-vous souvent les mains avec de l'eau et du savon.", "Wash your hands often with soap and water.",
        "fr", "en")
    # Unit 3 has no Swedish, unit 4 only Swedish: they feed only the pairs they have.
    assert ("task19", "ECDC-3") not in pairs and ("task20", "ECDC-3") in pairs
    assert ("task19", "ECDC-4") in pairs and ("task21", "ECDC-4") not in pairs
    assert pairs[("task20", "ECDC-3")][2:] == ("en", "de")
    assert next(r for r in records if r.raw_id == "ECDC-1").origin == "ECDC.tmx, tu 1"
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_malformed_tmx_is_one_rejection_naming_the_line(catalog, tmp_path):
    (tmp_path / "ECDC.tmx").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx><body>\n<tu><tuv xml:lang="EN"><seg>Hi</seg></tuv>\n'
        '<tuv xml:lang="SV"><seg>Hej</seg>\n</tu></body></tmx>\n', encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert records == []
    assert len(rejections) == 1 and rejections[0].origin.startswith("ECDC.tmx, line 5")
    assert "malformed XML" in rejections[0].reason


def test_tmx_without_units_is_reported(catalog, tmp_path):
    (tmp_path / "ECDC.tmx").write_text('<tmx version="1.4"><body></body></tmx>', encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert records == [] and [r.origin for r in rejections] == ["ECDC.tmx"]
