"""RaTE-NER (Radiopaedia part) -> task72 radiology sentence decomposition.

Based on the upstream preparation script (``MAGIC-AI4Med/MedS-Ins``
``data_preparing/report_entity_report.py``), which read
``Report_NER/train_new_new.jsonl`` lines ``{"sentences": [[tokens]], "ner":
[[[start, end, type], ...]], "subtext": sentence}`` and wrote
``repr([[" ".join(tokens[start:end + 1]), type], ...])`` as the output, and on
public readers of the RaTE-NER release (``Angelakeke/RaTE-NER``), whose
``<split>_span.json`` files are JSON Lines of the same shape with a
``note_id`` (``subtext`` may be absent). Entity types are the corpus's:
Anatomy, Abnormality, Non-Abnormality, Disease and Non-Disease.

One line is one item: the input is the sentence (``subtext`` when present,
else the tokens joined by spaces, without a space before closing
punctuation), the output the Python-style list of
``[part, type]`` pairs in sentence order, as upstream wrote it.

Files: only ``*_span.json`` under a ``Radiopaedia`` folder are read (the
``MIMIC_IV`` and ``all`` folders contain MIMIC-IV report text). task72 is a
training task: ``train_span.json`` and ``dev_span.json`` feed it;
``test_span.json`` (manually labelled) is not read. A line with a span out of
the sentence, a non-string type or no tokens is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task72"
_PART = "Radiopaedia"
_TRAIN_FILES = ("train_span.json", "dev_span.json")
_SPACE_BEFORE = re.compile(r" ([.,;:!?%)\]])")
_SPACE_AFTER = re.compile(r"([(\[]) ")


def detokenize(tokens: list[str]) -> str:
    """The sentence from its tokens: spaces between, none before closing punctuation."""
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", " ".join(tokens)))


def decompose(tokens: list[str], spans: list[Any]) -> list[list[str]]:
    """``[[part text, type], ...]`` in sentence order; raises ValueError on a bad span."""
    parts: list[tuple[int, int, str]] = []
    for span in spans:
        if not (isinstance(span, list) and len(span) == 3):
            raise ValueError(f"span {span!r} is not [start, end, type]")
        start, end, label = span
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(tokens)):
            raise ValueError(f"span {span!r} is outside the sentence's {len(tokens)} tokens")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"span {span!r} has no type")
        parts.append((start, end, label.strip()))
    parts.sort(key=lambda p: (p[0], p[1]))
    return [[" ".join(tokens[start:end + 1]), label] for start, end, label in parts]


class Converter(Source):
    """RaTE-NER Radiopaedia span-file converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [
            p for name in _TRAIN_FILES for p in self.files(raw_dir, name, required=False)
            if _PART in p.resolve().parts
        ]
        if not paths:
            raise InputError(raw_dir, None, f"no {_PART}/train_span.json (source {self.id})")
        for path in sorted(paths):
            for where, line in read_jsonl(path, on_error=report):
                try:
                    sentence, parts = self._item(line)
                except (KeyError, TypeError, ValueError) as exc:
                    problem = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
                    report(InputError(path, where, problem))
                    continue
                yield Example(
                    task_id=TASK, split=Split.TRAIN, input=sentence, output=repr(parts),
                    raw_id=f"{path.stem}:{where.removeprefix('line ')}", origin=self.origin(path, where),
                )

    @staticmethod
    def _item(line: dict[str, Any]) -> tuple[str, list[list[str]]]:
        sentences, ner = line["sentences"], line["ner"]
        if not (isinstance(sentences, list) and sentences and isinstance(sentences[0], list)):
            raise ValueError("sentences must be [[tokens]]")
        tokens = [str(t) for t in sentences[0]]
        if not tokens:
            raise ValueError("the sentence has no tokens")
        spans = ner[0] if isinstance(ner, list) and ner else []
        parts = decompose(tokens, spans)
        subtext = line.get("subtext")
        sentence = subtext.strip() if isinstance(subtext, str) and subtext.strip() else detokenize(tokens)
        return sentence, parts
