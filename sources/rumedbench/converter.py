"""RuMedBench: RuMedDaNet, RuMedNER and RuMedTop3 JSONL files -> tasks 61, 1001-1003.

* RuMedDaNet ``{pairID, context, question, answer}`` -> task1001 (answer да/нет)
  and task61, the same question as two-option multiple choice (``A. да``,
  ``B. нет``), which is how MMedBench's Russian part presents RuMedDaNet.
* RuMedNER ``{idx, tokens, ner_tags}`` -> task1002: the tokens joined by spaces
  in, the entity strings out (:func:`medsins.records.join_entities`).
* RuMedTop3 ``{idx, symptoms, code}`` -> task1003: complaints in, ICD-10 code out.

Files are recognised by task and part, flattened (``RuMedNER_dev_v1.jsonl``) or
in the repository layout (``RuMedNER/dev_v1.jsonl``). Split by part: ``train``
and ``dev`` -> train, ``test`` -> test; ``private_test`` files have no answers
and other tasks' files are not read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import Sentence, iob_entities, read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, format_options, join_entities

PARTS = {"train": Split.TRAIN, "dev": Split.TRAIN, "test": Split.TEST}
TASKS = ("RuMedDaNet", "RuMedNER", "RuMedTop3")
_FLAT = re.compile(r"^(?P<task>RuMed[A-Za-z0-9]+)_(?P<part>train|dev|test)_v[0-9]+\.jsonl$")
_NESTED = re.compile(r"^(?P<part>train|dev|test)_v[0-9]+\.jsonl$")
_ANSWERS = ("да", "нет")
_OPTIONS = format_options(list(_ANSWERS))
_NER_TYPES = frozenset({"ADR", "DI", "Drugclass", "Drugform", "Drugname", "Finding"})
_ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")


def classify(path: Path) -> tuple[str, Split] | None:
    """(benchmark task, split) of a RuMedBench file, or None when it is not read."""
    flat = _FLAT.match(path.name)
    if flat and flat["task"] in TASKS:
        return flat["task"], PARTS[flat["part"]]
    nested = _NESTED.match(path.name)
    if nested and path.parent.name in TASKS:
        return path.parent.name, PARTS[nested["part"]]
    return None


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"missing or empty {key!r}")
    return value.strip()


class Converter(Source):
    """RuMedBench converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        candidates = self.files(raw_dir, "*.jsonl", required=False)
        found = [(path, kind) for path in candidates if (kind := classify(path))]
        if not found:
            problem = "no RuMedDaNet, RuMedNER or RuMedTop3 file (e.g. RuMedNER_dev_v1.jsonl)"
            raise InputError(raw_dir, None, problem)
        readers: dict[str, Callable[[dict[str, Any], Split, str, str], list[Example]]] = {
            "RuMedDaNet": self._danet, "RuMedNER": self._ner, "RuMedTop3": self._top3,
        }
        for path, (task, split) in found:
            part = path.stem if path.parent.name == task else path.stem.removeprefix(f"{task}_")
            for where, item in read_jsonl(path, on_error=report):
                try:
                    yield from readers[task](item, split, part, self.origin(path, where))
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))

    @staticmethod
    def _danet(item: dict[str, Any], split: Split, part: str, origin: str) -> list[Example]:
        pair_id, context, question = _text(item, "pairID"), _text(item, "context"), _text(item, "question")
        answer = _text(item, "answer").lower()
        if answer not in _ANSWERS:
            raise ValueError(f"answer {item['answer']!r} is not да or нет")
        text = f"Контекст: {' '.join(context.split())}\nВопрос: {' '.join(question.split())}"
        raw_id = f"{part}-{pair_id}"
        return [
            Example(task_id="task1001", split=split, input=text, output=answer, raw_id=raw_id, origin=origin),
            Example(task_id="task61", split=split, input="\n".join([text, *_OPTIONS]),
                    output=_OPTIONS[_ANSWERS.index(answer)], options=_OPTIONS, raw_id=raw_id, origin=origin),
        ]

    @staticmethod
    def _ner(item: dict[str, Any], split: Split, part: str, origin: str) -> list[Example]:
        idx, tokens, tags = _text(item, "idx"), item.get("tokens"), item.get("ner_tags")
        if not (isinstance(tokens, list) and isinstance(tags, list) and tokens and len(tokens) == len(tags)):
            raise ValueError("'tokens' and 'ner_tags' must be non-empty lists of the same length")
        if not all(isinstance(t, str) and t.strip() for t in [*tokens, *tags]):
            raise ValueError("tokens and tags must be non-empty strings")
        bad = [t for t in tags if t != "O" and (t[:2] not in ("B-", "I-") or t[2:] not in _NER_TYPES)]
        if bad:
            raise ValueError(f"not a RuMedNER tag: {bad[0]!r}")
        sentence = Sentence(tuple(tokens), tuple(tags))
        output = join_entities([text for _, text in iob_entities(sentence)])
        return [Example(task_id="task1002", split=split, input=sentence.text, output=output,
                        raw_id=f"{part}-{idx}", origin=origin)]

    @staticmethod
    def _top3(item: dict[str, Any], split: Split, part: str, origin: str) -> list[Example]:
        idx, symptoms, code = _text(item, "idx"), _text(item, "symptoms"), _text(item, "code")
        if not _ICD10.match(code):
            raise ValueError(f"code {code!r} is not an ICD-10 code")
        return [Example(task_id="task1003", split=split, input=" ".join(symptoms.split()), output=code,
                        raw_id=f"{part}-{idx}", origin=origin)]
