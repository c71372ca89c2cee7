"""MedNLI: ``mli_{train,dev,test}_v1.jsonl`` -> tasks 41-44.

Based on the PhysioNet MedNLI 1.0.0 release (one JSON object a line with
``sentence1`` (premise), ``sentence2`` (hypothesis), ``gold_label``
(``entailment``/``contradiction``/``neutral``), ``pairID`` and parse trees) and
on the upstream MedS-Ins preparation script ``mednli_textual_entailment_generator.py``.

* task41 (NLI): ``sentence1: <premise>\\nsentence2: <hypothesis>`` -> the gold label.
* task42: premise -> its entailed hypothesis; task43: premise -> its contradicted one.
* task44: a premise and its three hypotheses -> which one is right (entailed),
  wrong (contradicted) and indeterminable (neutral). The corpus lists the three
  hypotheses of a premise on consecutive lines; a run of lines with the same
  premise that is not exactly one of each label makes no task44 item. The
  statements are ordered by a hash of their pairIDs (deterministic, so the
  position does not give the answer away as the corpus order would).

Split: train and dev files -> train; the test file -> test, which feeds only
the benchmark tasks 41 and 42 (43 and 44 are train-only tasks).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

FILES = {"mli_train_v1.jsonl": Split.TRAIN, "mli_dev_v1.jsonl": Split.TRAIN, "mli_test_v1.jsonl": Split.TEST}
LABELS = ("entailment", "contradiction", "neutral")
_VERDICT = {"entailment": "right", "contradiction": "wrong", "neutral": "indeterminable"}
_FIELDS = ("sentence1", "sentence2", "gold_label", "pairID")


def _pair(item: dict[str, Any]) -> tuple[str, str, str, str]:
    """(premise, hypothesis, label, pairID); ValueError naming the bad field."""
    values = []
    for field in _FIELDS:
        value = item.get(field)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"missing or empty {field!r}")
        values.append(value.strip())
    premise, hypothesis, label, pair_id = values
    if label not in LABELS:
        raise ValueError(f"gold_label {label!r} is not one of {', '.join(LABELS)}")
    return premise, hypothesis, label, pair_id


class Converter(Source):
    """MedNLI converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        found = [p for name in FILES for p in self.files(raw_dir, name, required=False)]
        if not found:
            raise InputError(raw_dir, None, "no mli_{train,dev,test}_v1.jsonl file (source mednli)")
        for path in found:
            split = FILES[path.name]
            group: list[tuple[str, str, str, str, str]] = []
            for where, item in read_jsonl(path, on_error=report):
                try:
                    premise, hypothesis, label, pair_id = _pair(item)
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))
                    continue
                origin = self.origin(path, where)
                yield Example(task_id="task41", split=split, input=f"sentence1: {premise}\nsentence2: {hypothesis}",
                              output=label, raw_id=pair_id, origin=origin)
                if label == "entailment":
                    yield Example(task_id="task42", split=split, input=premise, output=hypothesis,
                                  raw_id=pair_id, origin=origin)
                if split is Split.TRAIN and label == "contradiction":
                    yield Example(task_id="task43", split=split, input=premise, output=hypothesis,
                                  raw_id=pair_id, origin=origin)
                if group and group[0][0] != premise:
                    yield from self._triplet(group, split)
                    group = []
                group.append((premise, hypothesis, label, pair_id, origin))
            if group:
                yield from self._triplet(group, split)

    @staticmethod
    def _triplet(group: list[tuple[str, str, str, str, str]], split: Split) -> Iterator[Example]:
        """The task44 item of one premise, when it has exactly one hypothesis per label."""
        if split is not Split.TRAIN or sorted(g[2] for g in group) != sorted(LABELS):
            return
        ordered = sorted(group, key=lambda g: hashlib.blake2b(g[3].encode(), digest_size=8).digest())
        statements = "\n".join(f"Statement {i}: {g[1]}" for i, g in enumerate(ordered, start=1))
        verdicts = "\n".join(f"Statement {i}: {_VERDICT[g[2]]}" for i, g in enumerate(ordered, start=1))
        yield Example(task_id="task44", split=split, input=f"Premise: {group[0][0]}\n{statements}",
                      output=verdicts, raw_id="+".join(sorted(g[3] for g in group)), origin=group[0][4])
