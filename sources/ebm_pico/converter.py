"""EBM-NLP (PICO): participant, intervention and outcome spans in RCT abstracts -> tasks 1-3.

Native files (``ebm_nlp_2_00.tar.gz`` from bepnye/EBM-NLP, as its README and
the BigBio ``ebm_pico`` loader describe them)::

    ebm_nlp_2_00/documents/<PMID>.tokens        the abstract's tokens
    ebm_nlp_2_00/annotations/aggregated/starting_spans/
        {participants,interventions,outcomes}/train/<PMID>.AGGREGATED.ann
        {participants,interventions,outcomes}/test/gold/<PMID>.AGGREGATED.ann

A ``.tokens`` file holds one token per line and an ``.ann`` file one label
per token (``0`` outside a span, ``1`` inside); a single-line file is split
on whitespace instead (the README calls them space-separated). The expert
``test/gold`` labels are the test split and the crowd ``train`` labels the
train split; ``test/crowd``, ``individual/`` and ``hierarchical_labels/`` are
not read.

Abstracts are cut into sentences after a ``.``, ``?`` or ``!`` token (tokens
come from NLTK's punkt, so sentence-final punctuation is its own token). Each
sentence gives one record for the PICO element of the file: task1
(participants), task2 (interventions), task3 (outcomes); the output is the
labelled spans (tokens joined by spaces) in order, separated by ``, ``, or
``not found``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_text
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_TASKS = {"participants": "task1", "interventions": "task2", "outcomes": "task3"}
_ENDS = frozenset({".", "?", "!"})
NOT_FOUND = "not found"


def _items(path: Path) -> list[str]:
    """One item per line, or whitespace-separated when the file is one line."""
    text = read_text(path, "utf-8")
    lines = text.rstrip("\n").split("\n")
    return [line.strip() for line in lines] if len(lines) > 1 else text.split()


class Converter(Source):
    """EBM-NLP PICO converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        tokens_of = {p.stem: p for p in self.files(raw_dir, "*.tokens")}
        for path in self.files(raw_dir, "*.AGGREGATED.ann"):
            parts = path.parent.parts
            element = next((p for p in parts if p in _TASKS), None)
            if "starting_spans" not in parts or element is None:
                continue  # hierarchical_labels: fine-grained classes of the same spans
            if parts[-1] == "train":
                split = Split.TRAIN
            elif parts[-2:] == ("test", "gold"):
                split = Split.TEST
            else:
                continue  # test/crowd: crowd labels of the gold test documents
            pmid = path.name.split(".")[0]
            if pmid not in tokens_of:
                report(InputError(path, None, f"no documents/{pmid}.tokens for these labels"))
                continue
            yield from self._document(path, pmid, tokens_of[pmid], _TASKS[element], split, report)

    def _document(self, path: Path, pmid: str, tokens_path: Path, task_id: str, split: Split,
                  report: Reporter) -> Iterator[Example]:
        tokens, labels = _items(tokens_path), _items(path)
        if len(tokens) != len(labels):
            report(InputError(path, None, f"{len(labels)} labels for {len(tokens)} tokens in {tokens_path.name}"))
            return
        if any(not label.isdigit() for label in labels):
            bad = next(i for i, label in enumerate(labels) if not label.isdigit())
            report(InputError(path, f"token {bad + 1}", f"label {labels[bad]!r} is not a number"))
            return
        sentence: list[int] = []
        number = 0
        for index, token in enumerate(tokens):
            sentence.append(index)
            if token in _ENDS or index == len(tokens) - 1:
                number += 1
                words = [tokens[i] for i in sentence]
                spans: list[list[str]] = []
                previous = False
                for i in sentence:
                    inside = labels[i] != "0"
                    if inside and not previous:
                        spans.append([])
                    if inside:
                        spans[-1].append(tokens[i])
                    previous = inside
                output = ", ".join(" ".join(span) for span in spans) or NOT_FOUND
                yield Example(task_id=task_id, split=split, input=" ".join(words), output=output,
                              raw_id=f"{pmid}-s{number}", origin=self.origin(path, f"sentence {number}"))
                sentence = []
