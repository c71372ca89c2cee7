"""MedMCQA converter: dev.json is the task122 test; unlabelled or broken questions are reported."""

from __future__ import annotations

import json
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
def medmcqa(catalog):
    return catalog.get("medmcqa")


def test_sample_dev_is_the_test_split(medmcqa, catalog):
    records, rejections = _convert(medmcqa, None, catalog.registry)
    assert rejections == []
    assert [(r.task_id, r.split.value) for r in records] == [("task122", "test")] * 4
    first = records[0]
    assert first.input == (
        "Which nerve is most commonly injured in fracture of the surgical neck of the humerus?\n"
        "A. Radial nerve\nB. Axillary nerve\nC. Ulnar nerve\nD. Median nerve"
    )
    assert first.output == "B. Axillary nerve"
    assert first.options == ["A. Radial nerve", "B. Axillary nerve", "C. Ulnar nerve", "D. Median nerve"]
    assert first.raw_id == "0b6f3a52-1c1e-4d0a-9f3e-5a1b2c3d4e01" and first.origin == "dev.json, line 1"
    assert [r.output for r in records[1:]] == ["C. Ethosuximide", "D. Hematuria with RBC casts", "A. Niacin"]
    again, _ = _convert(medmcqa, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in records]


def test_unlabelled_and_broken_questions_are_reported(tmp_path, medmcqa, catalog):
    base = {"question": "Q?", "opa": "a", "opb": "b", "opc": "c", "opd": "d", "cop": 1, "id": "q1"}
    lines = [base, {**base, "id": "q2", "cop": -1}, {**base, "id": "q3", "opc": ""}, {**base, "id": "q4", "cop": "4"}]
    (tmp_path / "dev.json").write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    (tmp_path / "test.json").write_text(json.dumps({**base, "id": "t1", "cop": None}) + "\n", "utf-8")
    records, rejections = _convert(medmcqa, tmp_path, catalog.registry)
    assert [(r.raw_id, r.output) for r in records] == [("q1", "A. a"), ("q4", "D. d")]
    assert [(x.origin, x.reason) for x in rejections] == [
        ("dev.json, line 2", "cop -1 is not 1-4 (an unlabelled test question?)"),
        ("dev.json, line 3", "an option (opa..opd) is missing or empty"),
    ]
