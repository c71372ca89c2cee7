"""PLOS lay-summary source: both releases, summary removed from the input, bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "plos_readability"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_training_files_only(sample):
    records, rejections = sample
    assert rejections == []
    assert [r.raw_id for r in records] == [
        "10.1371/journal.pntd.9000001", "10.1371/journal.ppat.9000002", "journal.pgen.9000003",
    ]  # test_plos.jsonl is not read
    assert {(r.task_id, r.split) for r in records} == {("task113", Split.TRAIN)}


def test_summary_is_the_output_and_not_in_the_input(sample):
    first = sample[0][0]
    assert first.output.startswith("Mosquitoes spread malaria when they bite.")
    assert first.output not in first.input
    assert first.input.splitlines()[0] == "A plant volatile repels Anopheles mosquitoes in semi-field conditions"
    assert "Ocimum" in first.input
    biolaysumm = sample[0][2]
    assert biolaysumm.input == (
        "Gene variants linked to lactose tolerance in pastoral populations\n"
        "Lactase persistence varies among human populations.\n"
        "We sequenced the lactase enhancer region in 500 herders and found three new variants associated with "
        "persistence."
    )
    assert biolaysumm.origin == "PLOS_train.jsonl, line 1"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_bad_lines_reported(tmp_path, catalog):
    lines = [
        {"title": "T", "article": "Body text.", "plain language summary": "Lay text."},
        {"title": "No summary", "article": "Body."},
        {"title": "Only summary", "article": "Lay two.", "plain language summary": "Lay two."},
    ]
    (tmp_path / "train_plos.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.input, r.output) for r in records] == [("train_plos.jsonl:1", "T\nBody text.", "Lay text.")]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("train_plos.jsonl, line 2", "missing article or plain language summary"),
        ("train_plos.jsonl, line 3", "missing article or plain language summary"),
    ]


def test_no_training_file_is_an_error(tmp_path, catalog):
    (tmp_path / "test_plos.jsonl").write_text('{"article": "a", "plain language summary": "b"}\n')
    records, rejections = convert(catalog, tmp_path)
    assert records == [] and "no train_plos.jsonl" in rejections[0].reason
