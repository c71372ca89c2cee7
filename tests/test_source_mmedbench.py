"""MMedBench source: the Test/ rationale sample, ignored Train/ files, bad lines."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "mmedbench"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_counts_per_task(sample):
    records, rejections = sample
    assert rejections == []
    assert Counter(r.task_id for r in records) == {
        "task51": 1, "task52": 2, "task53": 1, "task54": 1, "task55": 1, "task56": 1,
    }
    assert {r.split for r in records} == {Split.TEST}
    # Train/English.jsonl is in the sample but feeds nothing (the tasks are test-only).
    assert not any("Train" in r.raw_id or "loop diuretics" in r.input for r in records)


def test_sample_exact_records(sample):
    by_id = {r.raw_id: r for r in sample[0]}
    english = by_id["Test/English:1"]
    assert english.task_id == "task52"
    assert english.input.splitlines()[0].startswith("Question: A 24-year-old runner")
    assert english.input.splitlines()[1:] == [
        "Options:",
        "A. Deep vein thrombosis",
        "B. Popliteal artery entrapment syndrome",
        "C. Lumbar spinal stenosis",
        "D. Achilles tendinopathy",
        "E. Peripheral neuropathy",
        "Answer: B. Popliteal artery entrapment syndrome",
    ]
    assert english.output.startswith("Exercise-induced claudication")
    assert english.origin == "English.jsonl, line 1"
    french = by_id["Test/French:1"]
    assert (french.task_id, french.input_language, french.output_language) == ("task53", "fr", "fr")
    assert french.input.endswith(
        "Answer: A. Elle inhibe de façon irréversible la cyclo-oxygénase plaquettaire; "
        "C. Elle augmente le risque de saignement digestif"
    )
    chinese = by_id["Test/Chinese:1"]
    assert chinese.input_language == "zh" and chinese.input.endswith("Answer: B. 胃镜检查加活检")


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]
    assert len({r.id for r in again}) == len(again)


def _write(path: Path, items: list[object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8")


def test_bad_lines_are_reported_with_file_and_line(tmp_path, catalog):
    good = {"question": "Q?", "options": {"A": "x", "B": "y"}, "answer_idx": "A", "rationale": "Because x."}
    _write(tmp_path / "Test" / "Russian.jsonl", [
        good,
        {"question": "Q2?", "options": {"A": "x"}, "answer_idx": "A"},  # no rationale
        {**good, "question": "Q3?", "answer_idx": "D"},  # answer not among options
        {**good, "question": "Q4?", "human_checked": True, "human_check_passed": False},
        ["not", "an", "object"],
    ])
    records, rejections = convert(catalog, tmp_path)
    assert [(r.task_id, r.raw_id) for r in records] == [("task55", "Test/Russian:1")]
    problems = [(r.origin, r.reason) for r in rejections]
    assert problems == [
        ("Test/Russian.jsonl, line 2", "missing 'rationale'"),
        ("Test/Russian.jsonl, line 3", "answer_idx D is not among the options A, B"),
        ("Test/Russian.jsonl, line 4",
         "the rationale failed the corpus's manual check (human_check_passed is false)"),
        ("Test/Russian.jsonl, line 5", "expected a JSON object, got list"),
    ]


def test_no_test_folder_is_an_error(tmp_path, catalog):
    _write(tmp_path / "Train" / "English.jsonl", [{"question": "Q?"}])
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert len(rejections) == 1 and "no Test/<Language>.jsonl" in rejections[0].reason
