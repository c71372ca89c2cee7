"""PUBHEALTH: public-health claims with evidence, verdict and explanation -> tasks 16-18.

Native files (the neemakot/Health-Fact-Checking release, as the Hugging Face
``health_fact`` and BigBio ``pubhealth`` loaders read them): ``train.tsv``,
``dev.tsv`` and ``test.tsv``, tab-separated with a header row and **no
quoting** (fields hold literal ``"``; both loaders read with ``QUOTE_NONE``),
columns ``claim_id, claim, date_published, explanation, fact_checkers,
main_text, sources, label, subjects``. ``test.tsv`` has one more, unnamed,
column first (a row index); columns are taken by name. Rows broken by a stray
tab or newline, or without one of the four labels (``true``, ``false``,
``mixture``, ``unproven``), are reported.

* task16 (train + test): paragraph (``main_text``) and claim -> verdict label.
* task17 (train only): paragraph -> a claim it supports; only ``true`` claims,
  from train.tsv and dev.tsv.
* task18 (train + test): claim and the paragraph that supports it -> the
  fact-checkers' explanation; only ``true`` claims.

``train.tsv`` and ``dev.tsv`` feed the train split, ``test.tsv`` the test split.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_SPLITS = {"train.tsv": Split.TRAIN, "dev.tsv": Split.TRAIN, "test.tsv": Split.TEST}
_LABELS = ("true", "false", "mixture", "unproven")
_COLUMNS = ("claim_id", "claim", "explanation", "main_text", "label")


class Converter(Source):
    """PUBHEALTH converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [p for p in self.files(raw_dir, "*.tsv") if p.name in _SPLITS]
        if not paths:
            raise InputError(raw_dir, None, "no PUBHEALTH file (train.tsv, dev.tsv, test.tsv)")
        for path in paths:
            split = _SPLITS[path.name]
            rows = read_csv(path, delimiter="\t", quoting=csv.QUOTE_NONE, required=_COLUMNS, on_error=report)
            for where, row in rows:
                claim_id = row["claim_id"].strip() or where
                claim, paragraph = row["claim"].strip(), row["main_text"].strip()
                label, explanation = row["label"].strip().lower(), row["explanation"].strip()
                if label not in _LABELS:
                    report(InputError(path, where, f"claim {claim_id}: label {row['label']!r} is not one of {_LABELS}"))
                    continue
                if not claim or not paragraph:
                    report(InputError(path, where, f"claim {claim_id}: empty claim or main_text"))
                    continue
                origin = self.origin(path, f"{where} (claim {claim_id})")
                raw_id = f"{path.stem}-{claim_id}"
                yield Example(task_id="task16", split=split, input=f"Paragraph: {paragraph}\nClaim: {claim}",
                              output=label, raw_id=raw_id, origin=origin)
                if label != "true":
                    continue  # tasks 17 and 18 need a paragraph that supports the claim
                if split is Split.TRAIN:
                    yield Example(task_id="task17", split=split, input=f"Paragraph: {paragraph}", output=claim,
                                  raw_id=raw_id, origin=origin)
                if explanation:
                    yield Example(task_id="task18", split=split, input=f"Claim: {claim}\nParagraph: {paragraph}",
                                  output=explanation, raw_id=raw_id, origin=origin)
