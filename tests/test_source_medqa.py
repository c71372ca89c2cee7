"""MedQA converter: the real MedAgentsBench test slice, the bundled sample, edge cases."""

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
def medqa(catalog):
    return catalog.get("medqa")


@pytest.fixture(scope="module")
def real(realdata, medqa, catalog):
    return _convert(medqa, realdata / "medqa", catalog.registry)


def test_real_converts_every_question(real, realdata):
    records, rejections = real
    assert rejections == []
    text = (realdata / "medqa" / "test.jsonl").read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(records) == len(lines) == 150
    assert {r.task_id for r in records} == {"task57"}
    assert {r.split.value for r in records} == {"test"}
    assert {(r.input_language, r.output_language) for r in records} == {("en", "en")}


def test_real_answers_equal_gold(real, realdata):
    records, _ = real
    by_raw = {r.raw_id: r for r in records}
    with open(realdata / "medqa" / "test.jsonl", encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            record = by_raw[f"en-test-{item['realidx']}"]
            letter = item["answer_idx"]
            assert record.output == f"{letter}. {item['answer']}"
            assert record.options == [f"{k}. {v}" for k, v in item["options"].items()]
            assert record.output in record.options
            assert record.input.startswith(item["question"])


def test_real_first_record_exact(real):
    first = real[0][0]
    assert first.raw_id == "en-test-0"
    assert first.input.startswith("A junior orthopaedic surgery resident is completing a carpal tunnel")
    assert first.input.endswith(
        "A. Disclose the error to the patient and put it in the operative report\n"
        "B. Tell the attending that he cannot fail to disclose this mistake\n"
        "C. Report the physician to the ethics committee\n"
        "D. Refuse to dictate the operative report"
    )
    assert first.output == "B. Tell the attending that he cannot fail to disclose this mistake"
    assert first.origin == "test.jsonl, line 1"
    assert first.license == "MIT"


def test_real_ids_unique_and_deterministic(real, medqa, realdata, catalog):
    records, _ = real
    ids = [r.id for r in records]
    assert len(set(ids)) == len(ids)
    again, _ = _convert(medqa, realdata / "medqa", catalog.registry)
    assert [r.id for r in again] == ids


def test_sample_converts(medqa, catalog):
    records, rejections = _convert(medqa, None, catalog.registry)
    assert rejections == []
    counts = {(r.task_id, r.split.value) for r in records}
    assert counts == {("task57", "test"), ("task57", "train"), ("task58", "test"), ("task58", "train")}
    assert sum(r.task_id == "task57" for r in records) == 6  # 3 test + 2 train + 1 dev (4-option)
    zh = [r for r in records if r.task_id == "task58"]
    assert len(zh) == 3 and all(r.input_language == "zh" for r in zh)
    assert zh[0].output == "B. 慢性阻塞性肺疾病急性加重"
    assert zh[0].origin == "Mainland/test.jsonl, line 1"
    dev = next(r for r in records if r.raw_id == "en-dev-0")
    assert dev.split.value == "train" and len(dev.options) == 4 and dev.output == "B. Metformin"


def _line(question: str, options: dict[str, str], idx: str, answer: str | None = None) -> str:
    item = {"question": question, "options": options, "answer_idx": idx, "meta_info": "step1"}
    item["answer"] = options[idx] if answer is None else answer
    return json.dumps(item, ensure_ascii=False)


def test_four_option_file_preferred_and_taiwan_skipped(tmp_path, medqa, catalog):
    five = {"A": "a", "B": "b", "C": "c", "D": "d", "E": "e"}
    (tmp_path / "US" / "4_options").mkdir(parents=True)
    (tmp_path / "Taiwan").mkdir()
    (tmp_path / "US" / "test.jsonl").write_text(_line("Five-option question?", five, "E") + "\n", "utf-8")
    four = {k: v for k, v in five.items() if k != "E"}
    (tmp_path / "US" / "4_options" / "phrases_no_exclude_test.jsonl").write_text(
        _line("Four-option question?", four, "A") + "\n", "utf-8"
    )
    (tmp_path / "Taiwan" / "test.jsonl").write_text(_line("下列何者正確?", four, "A") + "\n", "utf-8")
    records, rejections = _convert(medqa, tmp_path, catalog.registry)
    assert rejections == []
    assert [(r.task_id, r.input.splitlines()[0], r.output) for r in records] == [
        ("task57", "Four-option question?", "A. a")
    ]


def test_han_text_outside_mainland_folder_is_task58(tmp_path, medqa, catalog):
    options = {"A": "甲", "B": "乙", "C": "丙", "D": "丁"}
    (tmp_path / "test.jsonl").write_text(_line("下列哪项正确", options, "C") + "\n", "utf-8")
    records, _ = _convert(medqa, tmp_path, catalog.registry)
    assert [(r.task_id, r.output, r.input_language) for r in records] == [("task58", "C. 丙", "zh")]


def test_bad_items_are_reported_with_file_and_line(tmp_path, medqa, catalog):
    options = {"A": "one", "B": "two", "C": "three", "D": "four"}
    lines = [
        _line("Good question?", options, "B"),
        _line("Gold text disagrees?", options, "B", answer="three"),
        '{"question": "truncated',
        _line("Gap in letters?", {"A": "x", "C": "y"}, "A"),
        _line("Good again?", options, "D"),
    ]
    (tmp_path / "test.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    records, rejections = _convert(medqa, tmp_path, catalog.registry)
    # ids come from line positions, so a bad line does not shift later ids
    assert [r.raw_id for r in records] == ["en-test-0", "en-test-4"]
    assert [r.origin.split(", ")[1] for r in rejections] == ["line 2", "line 3", "line 4"]
    assert "ambiguous gold label" in rejections[0].reason
    assert "not consecutive letters" in rejections[2].reason


def test_no_question_file_is_one_rejection(tmp_path, medqa, catalog):
    (tmp_path / "notes.jsonl").write_text("{}\n", "utf-8")
    records, rejections = _convert(medqa, tmp_path, catalog.registry)
    assert records == [] and len(rejections) == 1
    assert "no MedQA question file" in rejections[0].reason
