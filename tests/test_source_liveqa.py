"""TREC 2017 LiveQA Medical source: the real test-set slice, the sample, bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "liveqa"
TEST_XML = "TREC-2017-LiveQA-Medical-Test.xml"
SUMMARIES_XML = "TREC-2017-LiveQA-Medical-Test-Questions-w-summaries.xml"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def squash(text: str) -> str:
    return " ".join(text.split())


def raw_answers(path: Path) -> dict[str, list[str]]:
    """qid -> its reference answer texts (whitespace-squashed), read with ElementTree."""
    root = ET.parse(path).getroot()
    return {
        q.get("qid"): [squash(a.findtext("ANSWER")) for a in q.find("ReferenceAnswers")]
        for q in root.iter("NLM-QUESTION")
    }


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_slice_one_record_per_question(real, raw_dir):
    records, rejections = real
    plain, summaries = raw_answers(raw_dir / TEST_XML), raw_answers(raw_dir / SUMMARIES_XML)
    assert plain == summaries  # both release files hold the same questions: counted once
    assert rejections == []
    assert len(records) == len(plain) == 20
    assert {(r.task_id, r.split) for r in records} == {("task62", Split.TRAIN)}
    # Gold: all reference answers of the question, in order (text equal up to whitespace).
    assert sum(len(answers) for answers in plain.values()) == 39
    for record in records:
        assert squash(record.output) == " ".join(plain[record.raw_id])


def test_real_records_by_content(real):
    by_qid = {r.raw_id: r for r in real[0]}
    tq1 = by_qid["TQ1"]
    assert tq1.input == (
        "Noonan syndrome\nWhat are the references with noonan syndrome and polycystic renal disease"
    )
    assert tq1.output.count("\n\n") == 2  # three one-paragraph RefAnswer elements
    # The formatter's wrap inside a sentence is undone; the answer reads as one paragraph.
    assert "female pseudo-Turner's and Bonnevie-Ullrich syndromes." in tq1.output
    assert tq1.origin.endswith("element <NLM-QUESTION> #1 (qid TQ1)")
    tq2 = by_qid["TQ2"]
    assert tq2.input == (
        "Gluten information\nRe:NDC# 0115-0672-50 Zolmitriptan tabkets 5mg. "
        "I have celiac disease & need to know if these contain gluten, Thank you!"
    )
    assert tq2.output.startswith("Zolmitriptan tablets are available as 2.5 mg (yellow and functionally")
    # A sentence-final line break is the author's and stays.
    assert "polyethylene glycol 8000 NF.\nZolmitriptan orally disintegrating tablets" in tq2.output


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_either_file_alone_gives_the_same_records(catalog, real, raw_dir, tmp_path):
    (tmp_path / TEST_XML).write_bytes((raw_dir / TEST_XML).read_bytes())
    alone, rejections = convert(catalog, tmp_path)
    assert rejections == []
    assert [(r.raw_id, r.input, r.output) for r in alone] == [(r.raw_id, r.input, r.output) for r in real[0]]


def test_sample_converts(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert [r.raw_id for r in records] == ["TQ1", "TQ2", "TQ3"]
    tq1, tq2, tq3 = records
    assert tq1.input.endswith("Do I still need the vaccine & how many shots is it?")
    assert tq1.output.count("\n\n") == 1
    assert "\n\nTreatment is normally continued" in tq2.output  # a paragraph break inside one answer
    # No subject: the input is the message alone.
    assert tq3.input == "What causes ringing in the ears after a loud concert and will it go away?"


def test_questions_without_message_or_answer_are_reported(catalog, tmp_path):
    (tmp_path / TEST_XML).write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<LiveQA2017-Medical-Test-Set-Full>\n'
        '<NLM-QUESTION qid="TQ1"><Original-Question><SUBJECT>flu</SUBJECT>'
        "<MESSAGE>Is flu contagious?</MESSAGE></Original-Question><ReferenceAnswers>"
        '<ReferenceAnswer aid="TQ1A1"><ANSWER>Yes.</ANSWER></ReferenceAnswer>'
        "</ReferenceAnswers></NLM-QUESTION>\n"
        '<NLM-QUESTION qid="TQ2"><Original-Question><SUBJECT>x</SUBJECT><MESSAGE> </MESSAGE>'
        "</Original-Question><ReferenceAnswers/></NLM-QUESTION>\n"
        '<NLM-QUESTION qid="TQ3"><Original-Question><SUBJECT>x</SUBJECT><MESSAGE>Why?</MESSAGE>'
        "</Original-Question><ReferenceAnswers/></NLM-QUESTION>\n"
        "</LiveQA2017-Medical-Test-Set-Full>\n",
        encoding="utf-8",
    )
    records, rejections = convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [("flu\nIs flu contagious?", "Yes.")]
    assert [(j.origin, j.reason) for j in rejections] == [
        (f"{TEST_XML}, element <NLM-QUESTION> #2 (qid TQ2)", "no Original-Question/MESSAGE text"),
        (f"{TEST_XML}, element <NLM-QUESTION> #3 (qid TQ3)", "no reference answer"),
    ]


def test_malformed_xml_is_one_rejection_naming_the_line(catalog, tmp_path):
    truncated = "<LiveQA2017-Medical-Test-Set-Full>\n<NLM-QUESTION qid='TQ1'>\n"
    (tmp_path / TEST_XML).write_text(truncated, encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert len(rejections) == 1 and "malformed XML" in rejections[0].reason
    assert rejections[0].origin.startswith(f"{TEST_XML}, line ")
