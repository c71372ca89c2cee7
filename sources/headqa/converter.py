"""HEAD-QA: Spanish healthcare specialisation exams (MIR, EIR, PIR, QIR, FIR, BIR).

Native files (``HEAD.zip`` and ``HEAD_EN.zip`` of the official release)::

    {train,dev,test}_HEAD.json      Spanish originals ("language": "es")
    {train,dev,test}_HEAD_EN.json   English translations ("language": "en")

Each is ``{"version", "language", "exams": {NAME: {"name", "category",
"year", "data": [{"qid", "qtext", "ra", "answers": [{"aid", "atext"}],
"image"}]}}}``; ``ra`` is the ``aid`` of the right answer and ``category`` the
exam's subject (medicine, nursery, psychology, chemistry, pharmacology,
biology).

Tasks and splits:

* task129 (Spanish MCQA, MedS-Bench): ``train_HEAD.json`` -> train;
  ``dev_HEAD.json`` and ``test_HEAD.json`` -> test.
* task22 (English MCQA), task25 (English topic classification), task23/task24
  (English<->Spanish translation of the question text, paired by exam and
  qid) are train-only tasks, so they read only the ``train_*`` files. The
  English versions of dev/test questions feed nothing: they are the benchmark
  questions of task129 in translation, and a train task must not carry them.
* Files without a split prefix (an unsplit ``HEAD.json``) repeat the split
  files and are not read.

Questions with an ``image`` are kept: the question text is a self-contained
clinical vignette or statement in most cases, and the text tasks (translation,
topic) do not depend on the image at all. The image file itself is not used.

MCQA output is ``"<letter>. <option text>"``: answers are lettered A, B, ... in
file order and ``ra`` picks the lettered option.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_json
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, format_options, mcqa_input

_SPLITS = {"train": Split.TRAIN, "dev": Split.TEST, "test": Split.TEST}
_TOPICS = ("medicine", "nursery", "psychology", "chemistry", "pharmacology", "biology")


@dataclass(frozen=True)
class Question:
    """One exam question, parsed and checked."""

    exam: str
    category: str
    qid: str
    text: str
    options: list[str]  # labelled "A. text"
    answer: str  # the labelled right option
    where: str

    @property
    def key(self) -> str:
        """Exam and qid: the same question in the Spanish and the English file."""
        return f"{self.exam}/{self.qid}"

    @property
    def mcqa_input(self) -> str:
        """The question followed by its labelled options, one a line."""
        return mcqa_input(self.text, self.options)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _question(exam: str, category: str, item: Any) -> Question:
    """Parse one ``data`` item; ValueError names what is wrong."""
    if not isinstance(item, dict):
        raise ValueError(f"expected a question object, got {type(item).__name__}")
    qid = str(item.get("qid", "")).strip()
    text = _text(item.get("qtext"))
    if not qid or not text:
        raise ValueError("missing 'qid' or empty 'qtext'")
    answers = item.get("answers")
    if not isinstance(answers, list) or len(answers) < 2:
        raise ValueError("'answers' must list at least two answers")
    aids: list[str] = []
    texts: list[str] = []
    for answer in answers:
        atext = _text(answer.get("atext")) if isinstance(answer, dict) else ""
        if not atext:
            raise ValueError(f"answer {answer!r} has no 'atext'")
        aids.append(str(answer.get("aid", "")).strip())
        texts.append(atext)
    if len(set(aids)) != len(aids):
        raise ValueError(f"answer ids {aids} are not unique")
    right = str(item.get("ra", "")).strip()
    if right not in aids:
        raise ValueError(f"right answer 'ra' {right!r} is not one of the answer ids {aids}")
    options = format_options(texts)
    return Question(exam, category, qid, text, options, options[aids.index(right)], f"exam {exam}, qid {qid}")


class Converter(Source):
    """HEAD-QA converter (Spanish originals and English translations)."""

    def read_questions(self, path: Path, report: Reporter) -> tuple[str, list[Question]]:
        """The file's language and its well-formed questions (bad ones go to ``report``)."""
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("exams"), dict):
            raise InputError(path, None, "expected a JSON object with an 'exams' object")
        language = data.get("language") or ("en" if path.stem.endswith("_EN") else "es")
        if language not in ("es", "en"):
            raise InputError(path, None, f"language {language!r} is neither 'es' nor 'en'")
        questions: list[Question] = []
        for name, exam in data["exams"].items():
            items = exam.get("data") if isinstance(exam, dict) else None
            if not isinstance(items, list):
                report(InputError(path, f"exam {name}", "exam has no 'data' list"))
                continue
            category = _text(exam.get("category")).lower()
            for index, item in enumerate(items, start=1):
                try:
                    questions.append(_question(name, category, item))
                except ValueError as exc:
                    report(InputError(path, f"exam {name}, question #{index}", str(exc)))
        return language, questions

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        by_split: dict[tuple[str, str], tuple[Path, list[Question]]] = {}
        for path in self.files(raw_dir, "*_HEAD*.json"):
            prefix = path.name.split("_", 1)[0]
            if prefix not in _SPLITS:
                continue
            language, questions = self.read_questions(path, report)
            if (prefix, language) in by_split:
                first = by_split[prefix, language][0]
                raise InputError(path, None, f"a second {prefix} file in {language} (first: {first})")
            by_split[prefix, language] = (path, questions)
        if not by_split:
            raise InputError(raw_dir, None, "no HEAD-QA file ({train,dev,test}_HEAD[_EN].json) found")
        for (prefix, language), (path, questions) in sorted(by_split.items()):
            split = _SPLITS[prefix]
            for q in questions:
                origin = self.origin(path, q.where)
                raw_id = f"{prefix}/{q.key}"
                if language == "es":
                    yield Example(task_id="task129", split=split, input=q.mcqa_input, output=q.answer,
                                  options=q.options, raw_id=raw_id, origin=origin)
                elif split is Split.TRAIN:
                    yield Example(task_id="task22", split=split, input=q.mcqa_input, output=q.answer,
                                  options=q.options, raw_id=raw_id, origin=origin)
                    if q.category in _TOPICS:
                        yield Example(task_id="task25", split=split, input=q.mcqa_input, output=q.category,
                                      raw_id=raw_id, origin=origin)
                    else:
                        problem = f"task25: exam category {q.category!r} is not one of {_TOPICS}"
                        report(InputError(path, q.where, problem))
        yield from self._translations(by_split, report)

    def _translations(
        self, by_split: dict[tuple[str, str], tuple[Path, list[Question]]], report: Reporter
    ) -> Iterator[Example]:
        """task23 (en->es) and task24 (es->en): question texts paired by exam and qid (train only)."""
        if ("train", "en") not in by_split or ("train", "es") not in by_split:
            return
        en_path, en_questions = by_split["train", "en"]
        es_path, es_questions = by_split["train", "es"]
        spanish = {q.key: q for q in es_questions}
        english_keys = {q.key for q in en_questions}
        # The same source text twice with two different translations would be a
        # contradictory pair; the first (file order) is kept, the other reported.
        seen: dict[tuple[str, str], str] = {}
        for en in en_questions:
            es = spanish.get(en.key)
            if es is None:
                problem = f"no Spanish question {en.key} in {es_path.name} to pair with"
                report(InputError(en_path, en.where, problem))
                continue
            origin = f"{en_path.name} + {es_path.name}, {en.where}"
            for task_id, source, target in (("task23", en.text, es.text), ("task24", es.text, en.text)):
                first = seen.setdefault((task_id, source), target)
                if first != target:
                    problem = f"{task_id}: source text also occurs with another translation {first[:60]!r}"
                    report(InputError(en_path, en.where, problem))
                    continue
                yield Example(task_id=task_id, split=Split.TRAIN, input=source, output=target,
                              raw_id=f"train/{en.key}", origin=origin)
        for es in es_questions:
            if es.key not in english_keys:
                problem = f"no English question {es.key} in {en_path.name} to pair with"
                report(InputError(es_path, es.where, problem))
