"""deepset COVID-QA (``COVID-QA.json``, SQuAD v2 format) -> task105.

Based on the repository's ``data/question-answering/COVID-QA.json``: SQuAD v2
``data -> paragraphs (context, document_id) -> qas (id, question, answers
[{text, answer_start}], is_impossible)``, read with
:func:`medsins.formats.squad.read_squad`. Each article is one paragraph whose
context is the whole paper (about 23,000 characters on average).

task105 asks the question alone (no context, as MedS-Ins does) and expects the
answer. One record per article and question: a question text asked several
times of one article is one record whose output joins that article's distinct
answers, in file order, by a blank line; raw id = the id of its first ask.
Answers of *different* articles are never joined: many questions only make
sense with their paper ("What is the conclusion of this report?", "What is
discussed in this publication?"), and joining two papers' answers gave an
output no single question has. Such a question text, asked of several
articles, cannot be asked alone (one input would have several outputs), so
each of its records carries its article: the input is the article's context,
a blank line and ``Question: <question>``, with its own instruction saying so.
(Carrying every record's context would turn the whole task into reading
comprehension of 23,000-character inputs, which task105 is not.)

A question marked impossible or without any answer text is reported. Split:
task105 is a training task; everything is train.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats.squad import group_by_question, read_squad
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task105"

#: The instruction of a record whose input carries its article.
CONTEXT_INSTRUCTION = (
    "The input is a scientific article about COVID-19 or coronaviruses followed by a question about it. "
    "Answer the question from the article, with the relevant details it gives."
)


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
            groups = group_by_question(answerable, per_context=True)
            contexts_per_text = Counter(" ".join(group[0].question.split()) for _, group in groups)
            for where, group in groups:
                answers: dict[str, None] = {}
                for question in group:
                    for text in question.answer_texts():
                        answers.setdefault(" ".join(text.split()), None)
                first = group[0]
                text = " ".join(first.question.split())
                if contexts_per_text[text] > 1:
                    question_input, instruction = f"{first.context.strip()}\n\nQuestion: {text}", CONTEXT_INSTRUCTION
                else:
                    question_input, instruction = text, None
                yield Example(
                    task_id=TASK, split=Split.TRAIN, input=question_input, output="\n\n".join(answers),
                    instruction=instruction, raw_id=first.id or where, origin=self.origin(path, where),
                )
