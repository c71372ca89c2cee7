"""deepset COVID-QA (``COVID-QA.json``, SQuAD v2 format) -> task105.

Based on the repository's ``data/question-answering/COVID-QA.json``: SQuAD v2
``data -> paragraphs (context, document_id) -> qas (id, question, answers
[{text, answer_start}], is_impossible)``, read with
:func:`medsins.formats.squad.read_squad`.

task105 asks the question alone (no context) and expects the answer. A
question text asked of several articles is one item whose output joins the
distinct answers of every occurrence, in file order, by a blank line (one
input, one output). A question marked impossible or without any answer text
is reported. Split: task105 is a training task; everything is train.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats.squad import group_by_question, read_squad
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task105"


class Converter(Source):
    """COVID-QA converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "COVID-QA.json"):
            answerable = []
            for where, question in read_squad(path, on_error=report):
                if question.is_impossible or not question.answer_texts():
                    report(InputError(path, where, "question without an answer"))
                else:
                    answerable.append((where, question))
            for where, group in group_by_question(answerable):
                answers: dict[str, None] = {}
                for question in group:
                    for text in question.answer_texts():
                        answers.setdefault(" ".join(text.split()), None)
                first = group[0]
                yield Example(
                    task_id=TASK, split=Split.TRAIN, input=" ".join(first.question.split()),
                    output="\n\n".join(answers), raw_id=first.id or where, origin=self.origin(path, where),
                )
