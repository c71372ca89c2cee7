"""cMedQA2 converter: one record per question, GB18030 copies, bad references."""

from __future__ import annotations

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
def cmedqa2(catalog):
    return catalog.get("cmedqa2")


def test_sample_one_record_per_question(cmedqa2, catalog):
    records, rejections = _convert(cmedqa2, None, catalog.registry)
    assert rejections == []
    assert [(r.task_id, r.split.value, r.raw_id) for r in records] == [
        ("task120", "train", "45619783"), ("task120", "train", "31571373"), ("task120", "train", "14382927")]
    first = records[0]
    assert first.input == "最近一周总是头痛，尤其是下午，血压有点高，需要吃药吗？"
    assert first.output.startswith("建议先连续监测一周血压")  # the first of its two answers
    assert first.origin == "question.csv, line 2; answer.csv, line 2"
    assert (first.input_language, first.output_language, first.license) == ("zh", "zh", "NOASSERTION")
    again, _ = _convert(cmedqa2, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in records]


def test_gb18030_copy_and_bad_references(tmp_path, cmedqa2, catalog):
    (tmp_path / "question.csv").write_bytes("que_id,content\n1,头疼怎么办\n2,咳嗽\n".encode("gb18030"))
    (tmp_path / "answer.csv").write_bytes(
        "ans_id,que_id,content\n0,1,多休息\n1,9,无此问题\n2,1\n".encode("gb18030"))
    records, rejections = _convert(cmedqa2, tmp_path, catalog.registry)
    assert [(r.input, r.output) for r in records] == [("头疼怎么办", "多休息")]
    assert [(x.origin, x.reason) for x in rejections] == [
        ("answer.csv, line 4", "expected 3 fields, found 2"),  # found while reading the file
        ("answer.csv, line 3", "que_id '9' is not in question.csv"),
        ("question.csv, line 3", "question 2 has no answer in answer.csv"),
    ]


def test_missing_column_is_named(tmp_path, cmedqa2, catalog):
    (tmp_path / "question.csv").write_text("id,text\n1,a\n", "utf-8")
    (tmp_path / "answer.csv").write_text("ans_id,que_id,content\n", "utf-8")
    records, rejections = _convert(cmedqa2, tmp_path, catalog.registry)
    assert records == [] and len(rejections) == 1
    assert rejections[0].origin == "question.csv, line 1"
    assert "missing column(s) que_id, content" in rejections[0].reason
