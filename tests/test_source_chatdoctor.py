"""ChatDoctor GenMedGPT-5k source: the real slice, the bundled sample, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "chatdoctor"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_slice_converts_every_item(real, raw_dir):
    records, rejections = real
    items = json.loads((raw_dir / "chatdoctor5k.json").read_text(encoding="utf-8"))
    assert rejections == []
    assert len(records) == len(items) == 100
    assert {(r.task_id, r.split) for r in records} == {("task66", Split.TRAIN)}
    # Every record is its raw item: patient message in, doctor reply out, in file order.
    gold = [(item["input"].strip(), item["output"].strip()) for item in items]
    assert [(r.input, r.output) for r in records] == gold


def test_real_first_record_content(real):
    first = real[0][0]
    assert first.input.startswith("Doctor, I have been experiencing sudden and frequent panic attacks.")
    assert first.output.startswith(
        "Well, based on what you're telling me, it sounds like you may be suffering from panic disorder."
    )
    assert first.raw_id == "chatdoctor5k-1"
    assert first.origin == "chatdoctor5k.json, record 1"
    assert first.source == SOURCE and first.license == "Apache-2.0"
    assert first.category.value == "Dialogue" and first.config == "dialogue"


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_converts(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert len(records) == 3
    assert records[1].input.startswith("Hi doctor, I keep getting a burning feeling")


def test_bad_items_are_reported_with_their_place(catalog, tmp_path):
    items = [
        {"instruction": "x", "input": "I have a headache.", "output": "Rest and drink water."},
        {"instruction": "x", "input": "  ", "output": "Reply to nothing."},
        {"instruction": "x", "input": "My knee hurts."},
    ]
    (tmp_path / "chatdoctor5k.json").write_text(json.dumps(items), encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert [r.raw_id for r in records] == ["chatdoctor5k-1"]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("chatdoctor5k.json, record 2", "missing or empty 'input' (the patient's message)"),
        ("chatdoctor5k.json, record 3", "missing or empty 'output' (the doctor's reply)"),
    ]


def test_a_non_array_file_is_one_rejection(catalog, tmp_path):
    (tmp_path / "chatdoctor5k.json").write_text('{"input": "x", "output": "y"}', encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert len(rejections) == 1 and "expected a JSON array" in rejections[0].reason
