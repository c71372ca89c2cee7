"""Cohan et al. PubMed summarization (``pubmed-dataset/train.txt``) -> task111.

Based on the dataset README (``armancohan/long-summarization``): JSON Lines
files ``train.txt``, ``val.txt``, ``test.txt``, one paper per line with
``article_id`` (str), ``article_text`` (list of sentences), ``abstract_text``
(list of sentences wrapped in ``<S> ... </S>``), ``section_names`` and
``sections`` (list of sentence lists).

task111: input the article body (its sentences joined by spaces), output the
abstract (the ``<S>``/``</S>`` markers removed, sentences joined by spaces).
A line without article or abstract text is reported. task111 is a training
task: only ``train.txt`` is read.
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

TASK = "task111"
_SENTENCE_TAG = re.compile(r"</?S>")


def join_sentences(sentences: Any) -> str:
    """Sentences (a list of strings) as one whitespace-normalised text; markers removed."""
    if not isinstance(sentences, list):
        raise ValueError(f"expected a list of sentences, got {type(sentences).__name__}")
    return " ".join(" ".join(_SENTENCE_TAG.sub(" ", str(s)).split()) for s in sentences if str(s).strip()).strip()


class Converter(Source):
    """PubMed summarization converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "train.txt"):
            for where, paper in read_jsonl(path, on_error=report):
                try:
                    article = join_sentences(paper["article_text"])
                    abstract = join_sentences(paper["abstract_text"])
                except (KeyError, ValueError) as exc:
                    problem = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
                    report(InputError(path, where, problem))
                    continue
                if not article or not abstract:
                    report(InputError(path, where, "empty article_text or abstract_text"))
                    continue
                raw_id = str(paper.get("article_id") or where)
                yield Example(task_id=TASK, split=Split.TRAIN, input=article, output=abstract,
                              raw_id=raw_id, origin=self.origin(path, where))
