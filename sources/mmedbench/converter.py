"""MMedBench: the Test/ rationales -> MedS-Bench rationale tasks 51-56.

Based on the dataset card of ``Henrychur/MMedBench`` and the MMedLM reading
code (``MAGIC-AI4Med/MMedLM`` ``inference/inference.py``): ``MMedBench.zip``
unpacks into ``Train/`` and ``Test/``, each holding ``<Language>.jsonl`` for
Chinese, English, French, Japanese, Russian and Spanish. One line is one
question: ``question`` (str), ``options`` (object, letter -> text),
``answer_idx`` (``"B"``, or ``"A,C"`` for the multi-answer French items; the
MMedLM code also accepts a list), ``rationale`` (str), ``human_checked`` and
``human_check_passed`` (bools). English lines also carry MedQA's ``answer``
and ``meta_info``, which are not needed.

Each Test/ question becomes one explanation item of its language's task: the
input is the question, its labelled options and the correct answer(s); the
output is the rationale. Tasks 51-56 are test-only, so Train/ files are not
read (the MCQA items themselves come from the original exam corpora, see the
manifest). A rationale that was manually checked and failed the check
(``human_checked`` true, ``human_check_passed`` false) is reported, as is an
item whose answer letter is not among its options.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

#: File stem -> (task id, ISO 639-1 code).
LANGUAGES: dict[str, tuple[str, str]] = {
    "Chinese": ("task51", "zh"),
    "English": ("task52", "en"),
    "French": ("task53", "fr"),
    "Japanese": ("task54", "ja"),
    "Russian": ("task55", "ru"),
    "Spanish": ("task56", "es"),
}
_TEST_FOLDER = "test"


def answer_letters(value: Any) -> list[str]:
    """The correct option letters of ``answer_idx`` (``"A,C"``, ``"B"`` or a list)."""
    if isinstance(value, list):
        parts = [str(v) for v in value]
    elif isinstance(value, str):
        parts = value.split(",")
    else:
        raise ValueError(f"answer_idx must be a string or list, got {type(value).__name__}")
    letters = [p.strip() for p in parts if p.strip()]
    if not letters:
        raise ValueError("answer_idx is empty")
    return letters


def explanation_input(question: str, options: dict[str, str], letters: list[str]) -> str:
    """Question, labelled options and the correct answer(s), one block per line."""
    lines = [f"Question: {question}", "Options:"]
    lines += [f"{key}. {text}" for key, text in options.items()]
    lines.append("Answer: " + "; ".join(f"{letter}. {options[letter]}" for letter in letters))
    return "\n".join(lines)


class Converter(Source):
    """MMedBench Test/ rationale converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [
            p for p in self.files(raw_dir, "*.jsonl")
            if p.stem in LANGUAGES and p.parent.name.lower() == _TEST_FOLDER
        ]
        if not paths:
            raise InputError(raw_dir, None, "no Test/<Language>.jsonl file (source mmedbench)")
        for path in paths:
            task_id, language = LANGUAGES[path.stem]
            for where, item in read_jsonl(path, on_error=report):
                try:
                    example = self._example(path, where, item, task_id, language)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    report(InputError(path, where, str(exc) if not isinstance(exc, KeyError) else f"missing {exc}"))
                    continue
                yield example

    def _example(self, path: Path, where: str, item: dict[str, Any], task_id: str, language: str) -> Example:
        question = item["question"].strip()
        options = item["options"]
        if not isinstance(options, dict) or not options:
            raise ValueError("options must be a non-empty object of letter -> text")
        options = {str(k).strip(): str(v).strip() for k, v in options.items()}
        letters = answer_letters(item["answer_idx"])
        unknown = [letter for letter in letters if letter not in options]
        if unknown:
            raise ValueError(f"answer_idx {','.join(unknown)} is not among the options {', '.join(options)}")
        rationale = item["rationale"].strip()
        if not question or not rationale:
            raise ValueError("empty question or rationale")
        if item.get("human_checked") and item.get("human_check_passed") is False:
            raise ValueError("the rationale failed the corpus's manual check (human_check_passed is false)")
        # Line numbers are stable ids within one language file.
        return Example(
            task_id=task_id, split=Split.TEST, input=explanation_input(question, options, letters),
            output=rationale, raw_id=f"Test/{path.stem}:{where.removeprefix('line ')}",
            origin=self.origin(path, where), input_language=language, output_language=language,
        )
