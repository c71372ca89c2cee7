"""PLOS lay-summary corpus -> task113 plain-language summarisation.

Based on the upstream preparation script (``MAGIC-AI4Med/MedS-Ins``
``data_preparing/readability_summarization.py``), which reads
``plos_corpus/train_plos.jsonl`` lines with ``title``, ``article`` and
``"plain language summary"``, inputs ``title + "\\n" + article`` with the
summary text removed from the article, and outputs the summary. The
BioLaySumm release of the same PLOS articles (``PLOS_train.jsonl``; keys
``id``, ``title``, ``article``, ``lay_summary``, ``headings``, ``keywords``)
is read the same way, its ``lay_summary`` being the plain language summary.

A line without article or summary is reported. Split: task113 is a training
task; only the training files are read (their validation/test files stay
for evaluation).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task113"
_FILES = ("train_plos.jsonl", "PLOS_train.jsonl")
_SUMMARY_KEYS = ("plain language summary", "lay_summary")


def _text(value: Any) -> str:
    """A string field, or a list of paragraphs joined by newlines ('' otherwise)."""
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    return value.strip() if isinstance(value, str) else ""


class Converter(Source):
    """PLOS lay-summary converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [p for name in _FILES for p in self.files(raw_dir, name, required=False)]
        if not paths:
            raise InputError(raw_dir, None, "no train_plos.jsonl or PLOS_train.jsonl (source plos_readability)")
        for path in paths:
            for where, line in read_jsonl(path, on_error=report):
                summary = next((_text(line[k]) for k in _SUMMARY_KEYS if _text(line.get(k))), "")
                article = _text(line.get("article"))
                if summary:
                    article = article.replace(summary, "").strip()  # the summary must not be in the input
                if not summary or not article:
                    report(InputError(path, where, "missing article or plain language summary"))
                    continue
                title = " ".join(_text(line.get("title")).split())
                raw_id = str(line.get("id") or line.get("doi") or f"{path.name}:{where.removeprefix('line ')}")
                yield Example(task_id=TASK, split=Split.TRAIN, input=f"{title}\n{article}" if title else article,
                              output=summary, raw_id=raw_id, origin=self.origin(path, where))
