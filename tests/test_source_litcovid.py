"""LitCovid source: sample, topic mapping, multi-topic articles, bad files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record

HEADER = "pmid,journal,title,abstract,keywords,pub_type,authors,doi,label\n"


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("litcovid"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter(r.output for r in records) == {
        "treatment": 1, "transmission": 1, "prevention": 1, "case report": 1, "mechanism": 1, "diagnosis": 1,
    }
    assert {(r.task_id, r.split.value) for r in records} == {("task108", "train")}
    masks = next(r for r in records if r.raw_id == "BC7-LitCovid-Train-90000003")
    assert masks.input == ('Title: Masks, distancing and a "stay home" policy: an invented evaluation\n'
                           "Abstract: We model how masks and distancing would reduce infections in an invented city.")
    case = next(r for r in records if r.output == "case report")
    assert case.input == "Title: An unusual rash in a patient with COVID-19: a made-up case"
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_forecasting_mapped_and_multi_topic_joined(catalog, tmp_path):
    (tmp_path / "BC7-LitCovid-Train.csv").write_text(
        HEADER
        + "1,J,Title one,Abstract one,,,,,Epidemic Forecasting\n"
        + "2,J,Title two,Abstract two,,,,,Treatment;Mechanism\n"
        + "3,J,Title three,Abstract three,,,,,Astrology\n"
        + "4,J,,,,,,,Treatment\n", encoding="utf-8")
    (tmp_path / "BC7-LitCovid-Test.csv").write_text(HEADER.replace(",label", ""), encoding="utf-8")  # unlabelled
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.output, r.raw_id) for r in records] == [
        ("forecasting", "BC7-LitCovid-Train-1"), ("treatment, mechanism", "BC7-LitCovid-Train-2"),
    ]
    assert [r.origin for r in rejections] == ["BC7-LitCovid-Train.csv, line 4", "BC7-LitCovid-Train.csv, line 5"]
    assert "unknown topic" in rejections[0].reason and "no title and no abstract" in rejections[1].reason


def test_missing_label_column_names_file(catalog, tmp_path):
    (tmp_path / "BC7-LitCovid-Dev.csv").write_text("pmid,title,abstract\n1,T,A\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert records == [] and [r.origin for r in rejections] == ["BC7-LitCovid-Dev.csv, line 1"]
    assert "missing column(s) label" in rejections[0].reason
