"""MedQuAD source: the XML sample, merged repeated questions, removed answers reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "medquad"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_one_item_per_question(sample):
    records, rejections = sample
    assert rejections == []
    assert [r.raw_id for r in records] == ["0000001_1-1", "0000001_1-2", "0000010_2-1", "0000010_2-2"]
    assert {(r.task_id, r.split) for r in records} == {("task103", Split.TRAIN)}


def test_sample_exact_records(sample):
    first = sample[0][0]
    assert first.input == "What is (are) Basal Cell Carcinoma ?"
    # Line structure kept, lines trimmed, one blank line at most; the same question
    # in another document (NIDDK file) adds its answer after a blank line.
    assert first.output == (
        "Key Points\n"
        "- Basal cell carcinoma is a cancer that forms in the lowest layer of the epidermis.\n"
        "- Sun exposure raises the risk.\n"
        "\n"
        "It is the most common kind of skin cancer and rarely spreads.\n"
        "\n"
        "A slow-growing skin cancer of the basal cells."
    )
    assert first.origin == "0000001_1.xml, QAPair 1 (qid 0000001_1-1)"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_removed_answers_and_malformed_files_reported(tmp_path, catalog):
    folder = tmp_path / "10_MPlus_ADAM_QA"
    folder.mkdir()
    (folder / "0000100_1.xml").write_text(
        '<Document id="0000100_1" source="MPlusADAM"><Focus>Sprains</Focus><QAPairs>'
        '<QAPair pid="1"><Question qid="0000100_1-1" qtype="information">What is (are) Sprains ?</Question>'
        "<Answer></Answer></QAPair>"
        '<QAPair pid="2"><Question qid="0000100_1-2" qtype="treatment">How to treat Sprains ?</Question>'
        "<Answer>Rest and ice.</Answer></QAPair>"
        "</QAPairs></Document>"
    )
    (folder / "0000101_1.xml").write_text('<Document id="0000101_1"><QAPairs>\n<QAPair>')
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("0000100_1-2", "Rest and ice.")]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("10_MPlus_ADAM_QA/0000100_1.xml, QAPair 1 (qid 0000100_1-1)", "empty answer"),
        ("10_MPlus_ADAM_QA/0000101_1.xml, line 2, column 8", "malformed XML: no element found: line 2, column 8"),
    ]
