"""MedQA: USMLE (English, task57) and MCMLE (Mainland China, Chinese, task58).

Native layout (the MedQA release, ``data_clean/questions/``)::

    US/train.jsonl  US/dev.jsonl  US/test.jsonl              5 options (A-E)
    US/4_options/phrases_no_exclude_{train,dev,test}.jsonl   4 options (A-D)
    Mainland/{train,dev,test}.jsonl                          Chinese, MCMLE
    Taiwan/...                                               traditional Chinese (TWMLE)

One JSON object a line: ``question``, ``options`` (letter -> text), ``answer``
(the right option's text), ``answer_idx`` (its letter), ``meta_info``; some
redistributions add ``realidx`` (the 0-based line index).

Decisions:

* Split by file name: ``test`` -> test, ``train``/``dev`` -> train. Files are
  found at any depth, so a bare ``test.jsonl`` (as MedAgentsBench ships it)
  works too.
* Language: a ``Mainland`` folder, or Han characters in the question, make an
  item Chinese (task58); otherwise it is English (task57). ``Taiwan`` files are
  TWMLE, which no MedS-Ins task uses, so they are not read.
* When a folder has both the 5-option file and the 4-option
  ``phrases_no_exclude_*`` file of the same split, only the 4-option one is
  read: the two hold the same questions, and the 4-option form is the one
  MMedBench (upstream task57) uses.
* ``answer`` must equal ``options[answer_idx]``; an item whose gold label and
  answer text disagree is reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import LETTERS, Example, Split, format_options, mcqa_input

_SPLITS = {"train": Split.TRAIN, "dev": Split.TRAIN, "test": Split.TEST}
_FOUR_OPTION_PREFIX = "phrases_no_exclude_"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _stem(path: Path) -> str:
    """``train``/``dev``/``test`` for a MedQA question file name, else ``""``."""
    name = path.name.removesuffix(".jsonl")
    return name.removeprefix(_FOUR_OPTION_PREFIX)


class Converter(Source):
    """MedQA (USMLE + MCMLE) converter."""

    def question_files(self, raw_dir: Path) -> list[Path]:
        """The question files to read, one per (folder, split), 4-option preferred."""
        chosen: dict[tuple[tuple[str, ...], str], Path] = {}
        for path in self.files(raw_dir, "*.jsonl"):
            stem = _stem(path)
            parts = path.relative_to(raw_dir).parent.parts
            if stem not in _SPLITS or "Taiwan" in parts:
                continue
            key = (tuple(p for p in parts if p != "4_options"), stem)
            current = chosen.get(key)
            if current is None or path.name.startswith(_FOUR_OPTION_PREFIX):
                chosen[key] = path
        if not chosen:
            raise InputError(raw_dir, None, "no MedQA question file (train/dev/test.jsonl) found")
        return sorted(chosen.values())

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.question_files(raw_dir):
            stem = _stem(path)
            mainland = "Mainland" in path.relative_to(raw_dir).parts
            for where, item in read_jsonl(path, on_error=report):
                try:
                    question, options, answer = _parse(item)
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))
                    continue
                chinese = mainland or bool(_HAN.search(question))
                language = "zh" if chinese else "en"
                yield Example(
                    task_id="task58" if chinese else "task57",
                    split=_SPLITS[stem],
                    input=mcqa_input(question, options),
                    output=answer,
                    options=options,
                    raw_id=f"{language}-{stem}-{_index(item, where)}",
                    origin=f"{path.relative_to(raw_dir).as_posix()}, {where}",
                )


def _index(item: dict[str, Any], where: str) -> int:
    """The item's 0-based position in its file: ``realidx`` when given, else line - 1.

    Derived from the line, not a running count, so a skipped bad line does not
    shift the ids of the items after it.
    """
    realidx = item.get("realidx")
    if isinstance(realidx, int):
        return realidx
    return int(where.removeprefix("line ")) - 1


def _parse(item: dict[str, Any]) -> tuple[str, list[str], str]:
    """(question, labelled options, labelled answer) of one item; ValueError if malformed."""
    question = item.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("missing or empty 'question'")
    options = item.get("options")
    if not isinstance(options, dict) or len(options) < 2:
        raise ValueError("'options' must be an object with at least two options")
    letters = list(options)
    if letters != list(LETTERS[: len(letters)]):
        raise ValueError(f"option keys {letters} are not consecutive letters from A")
    texts = [options[letter] for letter in letters]
    if not all(isinstance(t, str) and t.strip() for t in texts):
        raise ValueError("an option text is missing or empty")
    answer_idx = item.get("answer_idx")
    if answer_idx not in options:
        raise ValueError(f"answer_idx {answer_idx!r} is not one of the options {letters}")
    answer = item.get("answer")
    if answer is not None and str(answer).strip() != options[answer_idx].strip():
        raise ValueError(
            f"answer {answer!r} differs from option {answer_idx} ({options[answer_idx]!r}): "
            "ambiguous gold label"
        )
    labelled = format_options(texts)
    return question.strip(), labelled, labelled[letters.index(answer_idx)]
