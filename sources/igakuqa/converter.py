"""IgakuQA: ``<exam>-<block>.jsonl`` exam files -> task59 Japanese MCQA.

Each line is one question: ``problem_text``, ``choices`` (five option texts)
and ``answer`` (one or more letters a-e). The input is the question followed by
the labelled options (``A. ...`` to ``E. ...``), one a line; the output is the
correct option as ``<letter>. <text>``. Questions that ask for several options
("2つ選べ") have all of them as output, one a line in letter order, and their
own instruction saying how many are correct (the task card asks for one).

A few questions are written in English in the exam itself (116A61, 116C23,
116E38: no Japanese character in the question). They are kept as MCQA records
with English as their input and output language and their own instruction
saying so (the task card describes Japanese questions).

Split by exam number: the 116th exam (2022) and later are test, earlier exams
train (see the manifest). Nothing is dropped silently: a question without
options (a numeric answer) or whose answers disagree with its
``_translate.jsonl`` line is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import LETTERS, Example, Split, format_options, mcqa_example

TASK = "task59"
#: The first exam held out as test: the 116th (2022), the newest IgakuQA exam.
FIRST_TEST_EXAM = 116
_EXAM_FILE = re.compile(r"^(?P<exam>[0-9]{3})-(?P<block>[A-Z])\.jsonl$")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")

#: The instruction of a question with several correct options.
MULTI_ANSWER_INSTRUCTION = (
    "The input is a Japanese national medical licensing exam question written in Japanese, with "
    "lettered answer options, of which {count} are correct. Choose every correct option and output "
    "each one as '<letter>. <option text>' (in Japanese, exactly as listed), one per line in letter order."
)

#: The instructions of a question the exam itself writes in English (one / several correct options).
ENGLISH_INSTRUCTION = (
    "The input is a Japanese national medical licensing exam question written in English (as in the "
    "exam itself), with lettered answer options. Choose the one correct option and output its letter "
    "and text (in English, exactly as listed), e.g. 'B. Aspirin'."
)
ENGLISH_MULTI_ANSWER_INSTRUCTION = (
    "The input is a Japanese national medical licensing exam question written in English (as in the "
    "exam itself), with lettered answer options, of which {count} are correct. Choose every correct "
    "option and output each one as '<letter>. <option text>' (in English, exactly as listed), one per "
    "line in letter order."
)


def parse_question(item: dict[str, Any]) -> tuple[str, str, list[str], list[str], str]:
    """(problem id, question, labelled options, labelled answers, language); ValueError if unusable.

    The language is ``"ja"``, or ``"en"`` for a question without any Japanese character.
    """
    problem_id = item.get("problem_id")
    question = item.get("problem_text")
    choices = item.get("choices")
    answer = item.get("answer")
    if not isinstance(problem_id, str) or not problem_id.strip():
        raise ValueError("missing 'problem_id'")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("missing or empty 'problem_text'")
    if not isinstance(choices, list):
        raise ValueError("'choices' must be a list")
    if not choices:
        raise ValueError(f"no options: a numeric-answer question ({answer}), not multiple choice")
    if not all(isinstance(c, str) and c.strip() for c in choices) or len(choices) > len(LETTERS):
        raise ValueError(f"options must be 1-{len(LETTERS)} non-empty texts")
    letters = LETTERS[: len(choices)].lower()
    if not isinstance(answer, list) or not answer or any(a not in letters for a in answer):
        raise ValueError(f"answer {answer!r} is not a list of option letters {', '.join(letters)}")
    options = format_options(choices)
    chosen = [options[letters.index(a)] for a in sorted(set(answer))]
    language = "ja" if _JAPANESE.search(question) else "en"
    return problem_id.strip(), question.strip(), options, chosen, language


class Converter(Source):
    """IgakuQA converter."""

    def exam_files(self, raw_dir: Path) -> list[tuple[Path, int]]:
        """The exam block files with their exam number, in name order."""
        found = [
            (path, int(match["exam"]))
            for path in self.files(raw_dir, "*.jsonl")
            if (match := _EXAM_FILE.match(path.name))
        ]
        if not found:
            raise InputError(raw_dir, None, "no IgakuQA exam file (e.g. 116-A.jsonl)")
        return found

    def translated_answers(self, exam_file: Path, report: Reporter) -> dict[str, list[str]]:
        """problem id -> answer letters from the block's ``_translate.jsonl``, if present."""
        path = exam_file.with_name(f"{exam_file.stem}_translate.jsonl")
        if not path.exists():
            return {}
        return {
            str(line["problem_id"]): line["answer"]
            for _, line in read_jsonl(path, on_error=report)
            if "problem_id" in line and isinstance(line.get("answer"), list)
        }

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path, exam in self.exam_files(raw_dir):
            split = Split.TEST if exam >= FIRST_TEST_EXAM else Split.TRAIN
            translated = self.translated_answers(path, report)
            for where, item in read_jsonl(path, on_error=report):
                try:
                    problem_id, question, options, chosen, language = parse_question(item)
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))
                    continue
                other = translated.get(problem_id)
                if other is not None and sorted(other) != sorted(item["answer"]):
                    problem = f"answer {item['answer']} differs from {other} in {path.stem}_translate.jsonl"
                    report(InputError(path, where, problem))
                    continue
                if language == "ja":
                    yield mcqa_example(TASK, split, question, options, chosen,
                                       multi_answer_instruction=MULTI_ANSWER_INSTRUCTION, raw_id=problem_id,
                                       origin=self.origin(path, where))
                    continue
                example = mcqa_example(TASK, split, question, options, chosen,
                                       multi_answer_instruction=ENGLISH_MULTI_ANSWER_INSTRUCTION,
                                       raw_id=problem_id, origin=self.origin(path, where))
                yield Example(**{**example.model_dump(), "instruction": example.instruction or ENGLISH_INSTRUCTION,
                                 "input_language": "en", "output_language": "en"})
