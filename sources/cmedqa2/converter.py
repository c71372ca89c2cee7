"""cMedQA2: ``question.csv`` + ``answer.csv`` -> task120 Chinese medical QA.

Based on the cMedQA2 repository (zhangsheng93/cMedQA2): ``question.csv`` has
the header ``que_id,content`` and ``answer.csv`` ``ans_id,que_id,content``;
the ``*_candidates.txt`` files only serve the answer-selection benchmark.

One record per question: the question's content is the input and its first
answer (in answer.csv order) the output, so the task never holds one question
with two different answers. An answer whose que_id is not a question, or a
question without any answer, is reported. Files are read as UTF-8, falling
back to GB18030 (copies re-saved on Chinese Windows) when they are not UTF-8.
Split: task120 is a training task, so every record is train.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task120"


def _is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (checked in chunks before reading rows)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _rows(path: Path, required: tuple[str, ...], report: Reporter) -> list[tuple[str, dict[str, str]]]:
    """All rows, decoding as UTF-8 or else GB18030 (the encoding is chosen for the whole file first:
    ``read_csv`` with ``on_error`` reports undecodable lines one by one instead of failing)."""
    if _is_utf8(path):
        return list(read_csv(path, required=required, on_error=report))
    return list(read_csv(path, required=required, encoding="gb18030", on_error=report))


class Converter(Source):
    """cMedQA2 converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        question_path = self.files(raw_dir, "question.csv")[0]
        answer_path = self.files(raw_dir, "answer.csv")[0]
        questions: dict[str, tuple[str, str]] = {}
        for where, row in _rows(question_path, ("que_id", "content"), report):
            que_id, content = row["que_id"].strip(), row["content"].strip()
            if not que_id or not content:
                report(InputError(question_path, where, "empty que_id or content"))
            elif que_id in questions:
                report(InputError(question_path, where, f"que_id {que_id} repeats {questions[que_id][1]}"))
            else:
                questions[que_id] = (content, where)
        answers: dict[str, tuple[str, str]] = {}
        for where, row in _rows(answer_path, ("ans_id", "que_id", "content"), report):
            que_id, content = row["que_id"].strip(), row["content"].strip()
            if que_id not in questions:
                report(InputError(answer_path, where, f"que_id {que_id!r} is not in question.csv"))
            elif not content:
                report(InputError(answer_path, where, "empty answer content"))
            else:
                answers.setdefault(que_id, (content, where))
        for que_id, (question, where) in questions.items():
            if que_id not in answers:
                report(InputError(question_path, where, f"question {que_id} has no answer in answer.csv"))
                continue
            answer, answer_where = answers[que_id]
            yield Example(task_id=TASK, split=Split.TRAIN, input=question, output=answer, raw_id=que_id,
                          origin=f"{self.origin(question_path, where)}; {self.origin(answer_path, answer_where)}")
