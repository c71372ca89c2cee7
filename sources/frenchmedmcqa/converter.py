"""FrenchMedMCQA: train.json / dev.json / test.json -> task60 French MCQA.

Each item has five options ``answers{a..e}`` and ``correct_answers`` (one or
more letters). The input is the question followed by the labelled options
(``A. ...`` to ``E. ...``), one a line. The output is the correct option as
``<letter>. <text>``; when several are correct, all of them, one a line in
letter order, and the item carries its own instruction saying that several
options are correct (the task card asks for one).

Split by file name: ``train.json`` and ``dev.json`` -> train, ``test.json`` ->
test. The options are labelled in letter order whatever the order of their keys
in the file. An item whose option letters are not a, b, c, ... without a gap, whose correct
answers are not among them, or whose ``nbr_correct_answers`` disagrees with the
list is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import iter_json_array
from medsins.plugins import Reporter, Source
from medsins.records import LETTERS, Example, Split, format_options, mcqa_example

TASK = "task60"
FILES = {"train.json": Split.TRAIN, "dev.json": Split.TRAIN, "test.json": Split.TEST}

#: The instruction of an item with several correct options.
MULTI_ANSWER_INSTRUCTION = (
    "The input is a French pharmacy exam question written in French, with lettered answer options, "
    "of which {count} are correct. Choose every correct option and output each one as "
    "'<letter>. <option text>' (in French, exactly as listed), one per line in letter order."
)


def parse_item(item: Any) -> tuple[str, str, list[str], list[str]]:
    """(id, question, labelled options, labelled correct options); ValueError if malformed."""
    if not isinstance(item, dict):
        raise ValueError(f"expected an object, got {type(item).__name__}")
    item_id = item.get("id")
    question = item.get("question")
    answers = item.get("answers")
    correct = item.get("correct_answers")
    if not isinstance(item_id, str) or not item_id.strip():
        raise ValueError("missing 'id'")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("missing or empty 'question'")
    if not isinstance(answers, dict) or not answers:
        raise ValueError("'answers' must be an object of letter -> option text")
    # Options are taken in letter order whatever the order of the keys (train.json record 2067
    # lists them a, c, d, e, b); a missing or extra letter is still an error.
    keys = sorted(answers, key=str)
    if keys != list(LETTERS[: len(keys)].lower()):
        raise ValueError(f"option letters {keys} are not a, b, c, ... without a gap")
    texts = [answers[key] for key in keys]
    if not all(isinstance(text, str) and text.strip() for text in texts):
        raise ValueError("an option text is missing or empty")
    if not isinstance(correct, list) or not correct:
        raise ValueError("'correct_answers' must be a non-empty list of letters")
    unknown = [letter for letter in correct if letter not in answers]
    if unknown:
        raise ValueError(f"correct answer(s) {unknown} not among the options {keys}")
    count = item.get("nbr_correct_answers", len(correct))
    if count != len(set(correct)):
        raise ValueError(f"nbr_correct_answers is {count} but correct_answers lists {sorted(set(correct))}")
    options = format_options(texts)
    chosen = [options[keys.index(letter)] for letter in sorted(set(correct))]
    return item_id.strip(), " ".join(question.split()), options, chosen


class Converter(Source):
    """FrenchMedMCQA converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [p for name in FILES for p in self.files(raw_dir, name, required=False)]
        if not paths:
            raise InputError(raw_dir, None, "no FrenchMedMCQA file (train.json, dev.json, test.json)")
        for path in sorted(paths):
            split = FILES[path.name]
            for where, item in iter_json_array(path, on_error=report):
                try:
                    item_id, question, options, chosen = parse_item(item)
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))
                    continue
                yield mcqa_example(TASK, split, question, options, chosen,
                                   multi_answer_instruction=MULTI_ANSWER_INSTRUCTION, raw_id=item_id,
                                   origin=self.origin(path, where))
