"""IgakuQA source: the real 116-A slice, the sample, unusable questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "igakuqa"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_block_converts_every_question_as_test(real, raw_dir):
    records, rejections = real
    questions = read_lines(raw_dir / "116-A.jsonl")
    assert rejections == []
    assert len(records) == len(questions) == 30
    # The 116th exam (2022) is the held-out test exam.
    assert {(r.task_id, r.split) for r in records} == {("task59", Split.TEST)}
    assert [r.raw_id for r in records] == [q["problem_id"] for q in questions]


def test_every_output_is_the_official_answer(real, raw_dir):
    questions = {q["problem_id"]: q for q in read_lines(raw_dir / "116-A.jsonl")}
    multi = []
    for record in real[0]:
        question = questions[record.raw_id]
        gold = [f"{a.upper()}. {question['choices'][ord(a) - ord('a')]}" for a in sorted(question["answer"])]
        assert record.output.split("\n") == gold
        assert record.options == [f"{'ABCDE'[i]}. {c}" for i, c in enumerate(question["choices"])]
        assert record.input == "\n".join([question["problem_text"], *record.options])
        if len(gold) > 1:
            multi.append(record.raw_id)
            assert f"of which {len(gold)} are correct" in record.instruction
    assert multi == ["116A13", "116A14", "116A15"]


def test_real_records_by_content(catalog, real):
    by_id = {r.raw_id: r for r in real[0]}
    first = by_id["116A1"]
    assert first.input.splitlines()[0] == "睡眠時無呼吸症候群による高血圧について、正しくないのはどれか。"
    assert first.output == "C. α遮断薬が第一選択薬である。"
    assert first.instruction == catalog.registry.get("task59").definition
    assert first.origin == "116-A.jsonl, line 1"
    assert first.input_language == "ja" and first.license == "NOASSERTION"
    # A question about a figure (text_only = false) is kept.
    assert by_id["116A17"].output.startswith("E. ")
    assert by_id["116A14"].output.splitlines() == [
        line for line in by_id["116A14"].options if line[0] in "CD"
    ]


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_splits_by_exam(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert [(r.raw_id, r.split) for r in records] == [
        ("115A1", Split.TRAIN), ("115A2", Split.TRAIN), ("115A3", Split.TRAIN),
        ("116B1", Split.TEST), ("116B2", Split.TEST),
    ]
    assert records[1].output == "A. 脚気\nD. Wernicke脳症"


def test_unusable_questions_are_reported(catalog, tmp_path):
    base = {"problem_text": "正しいのはどれか。", "choices": ["あ", "い", "う", "え", "お"],
            "text_only": True, "answer": ["a"], "points": "1"}
    lines = [
        {**base, "problem_id": "114C1"},
        {**base, "problem_id": "114C2", "choices": [], "answer": ["26"]},
        {**base, "problem_id": "114C3", "problem_text": "Which of the following is correct?"},
        {**base, "problem_id": "114C4", "answer": ["f"]},
        {**base, "problem_id": "114C5", "answer": ["b"]},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n{broken\n"
    (tmp_path / "114-C.jsonl").write_text(text, encoding="utf-8")
    translation = {"problem_id": "114C5", "answer": ["c"]}
    (tmp_path / "114-C_translate.jsonl").write_text(json.dumps(translation) + "\n", encoding="utf-8")
    (tmp_path / "114-C_metadata.jsonl").write_text('{"problem_id": "114C1"}\n', encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    # A question written in English (the exam has a few) is kept, with English as its language.
    assert [(r.raw_id, r.split, r.output, r.input_language, r.output_language) for r in records] == [
        ("114C1", Split.TRAIN, "A. あ", "ja", "ja"),
        ("114C3", Split.TRAIN, "A. あ", "en", "en"),
    ]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("114-C.jsonl, line 2", "no options: a numeric-answer question (['26']), not multiple choice"),
        ("114-C.jsonl, line 4", "answer ['f'] is not a list of option letters a, b, c, d, e"),
        ("114-C.jsonl, line 5", "answer ['b'] differs from ['c'] in 114-C_translate.jsonl"),
        ("114-C.jsonl, line 6",
         "not a JSON object: Expecting property name enclosed in double quotes (column 2)"),
    ]


def test_full_corpus_keeps_the_english_questions(catalog, fullcorpora):
    """116A61, 116C23 and 116E38 are written in English in the exam itself: MCQA records in English."""
    raw = fullcorpora / SOURCE
    questions = {
        q["problem_id"]: q
        for path in sorted(raw.glob("116-?.jsonl"))
        for q in read_lines(path)
    }
    records, rejections = convert(catalog, raw)
    # Only the three numeric-answer questions (no options) are not MCQA records.
    assert sorted(j.origin for j in rejections) == [
        "116-B.jsonl, line 50", "116-C.jsonl, line 75", "116-F.jsonl, line 74",
    ]
    assert all(j.reason.startswith("no options: a numeric-answer question") for j in rejections)
    assert len(records) == len(questions) - 3 == 397
    english = {r.raw_id: r for r in records if r.input_language == "en"}
    assert sorted(english) == ["116A61", "116C23", "116E38"]
    for problem_id, record in english.items():
        question = questions[problem_id]
        assert len(question["choices"]) == 5 and len(question["answer"]) == 1
        assert record.output_language == "en" and record.split == Split.TEST
        letter = question["answer"][0]
        assert record.output == f"{letter.upper()}. {question['choices'][ord(letter) - ord('a')]}"
        assert record.input.splitlines()[0] == question["problem_text"].strip()
        assert "written in English" in record.instruction
    assert english["116C23"].output == "C. Date and place of birth"
    assert {(r.input_language, r.output_language) for r in records if r.raw_id not in english} == {("ja", "ja")}
