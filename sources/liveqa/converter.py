"""TREC 2017 LiveQA Medical: the test-set XML files -> task62 consumer health QA.

Each ``<NLM-QUESTION>`` becomes one item: the consumer's own words (SUBJECT,
then MESSAGE, on separate lines) are the input and the reference answers the
output. A question has one or more reference answers (``<RefAnswer>`` or
``<ReferenceAnswer>``, both spellings occur), each a partial answer from a
different trusted page, so the output is all of them in order, separated by a
blank line. The XML pretty-printing is undone (see :func:`clean_text`).

Both release files (``...-Test.xml`` and ``...-Test-Questions-w-summaries.xml``)
hold the same questions. They are read in name order and a question id seen
before is skipped, so each question is converted once whichever files are
present. A question without a message or without any reference answer is
reported.

Split: task62 is a training task, so every question is train.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iter_xml
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task62"
_PATTERN = "TREC-2017-LiveQA-Medical-Test*.xml"
_ANSWER_TAGS = ("RefAnswer", "ReferenceAnswer")


#: The release files were pretty-printed with long lines wrapped near 300 columns,
#: so a line this long that stops mid-sentence continues on the next line.
_WRAPPED = 270
_SENTENCE_END = (".", "!", "?", ":")


def clean_text(text: str | None) -> str:
    """Undo the XML pretty-printing of a text element.

    Every line is trimmed, a line wrapped by the formatter (long, not ending a
    sentence) is joined to the next one, and at most one blank line is kept in
    a row; other line breaks (lists, paragraphs) are the author's and stay.
    """
    out: list[str] = []
    joining = False
    for raw in (text or "").splitlines():
        line = " ".join(raw.split())
        if joining and line:
            out[-1] = f"{out[-1]} {line}"
        elif line or (out and out[-1]):
            out.append(line)
        last = out[-1] if out else ""
        joining = len(last) >= _WRAPPED and not last.endswith(_SENTENCE_END)
    return "\n".join(out).strip()


def reference_answers(question: ET.Element) -> list[str]:
    """The non-empty ANSWER texts of a question, in document order."""
    answers = []
    for block in question.iterfind("ReferenceAnswers/*"):
        if block.tag in _ANSWER_TAGS:
            text = clean_text(block.findtext("ANSWER"))
            if text:
                answers.append(text)
    return answers


class Converter(Source):
    """LiveQA Medical test-set converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        seen: set[str] = set()
        for path in self.files(raw_dir, _PATTERN):
            for where, question in iter_xml(path, "NLM-QUESTION", on_error=report):
                qid = (question.get("qid") or "").strip()
                if not qid:
                    report(InputError(path, where, "NLM-QUESTION without a qid"))
                    continue
                if qid in seen:
                    continue  # the same question from the other release file
                seen.add(qid)
                at = f"{where} (qid {qid})"
                subject = clean_text(question.findtext("Original-Question/SUBJECT"))
                message = clean_text(question.findtext("Original-Question/MESSAGE"))
                if not message:
                    report(InputError(path, at, "no Original-Question/MESSAGE text"))
                    continue
                answers = reference_answers(question)
                if not answers:
                    report(InputError(path, at, "no reference answer"))
                    continue
                yield Example(
                    task_id=TASK,
                    split=Split.TRAIN,
                    input=f"{subject}\n{message}" if subject else message,
                    output="\n\n".join(answers),
                    raw_id=qid,
                    origin=self.origin(path, at),
                )
