"""Cochrane RCT summarisation (MSLR 2022 Cochrane CSVs) -> task110.

Based on the MSLR shared-task README (``allenai/mslr-shared-task``), which
releases the data of Wallace et al. (2020) as ``mslr-cochrane-data.zip``:
``train-``/``dev-inputs.csv`` (``ReviewID, PMID, Title, Abstract``, one row
per trial), ``train-``/``dev-targets.csv`` (``ReviewID, Target``) and a
target-less ``test-inputs.csv``; joined by
:func:`medsins.formats.mslr.read_reviews`.

task110: input the trials as ``Study N`` blocks of title and abstract, output
the review's conclusion. Split: ``train-`` files are train, ``dev-`` files
(the last split with targets) are test, as task110 is also a MedS-Bench
summarisation test; ``test-inputs.csv`` is not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.formats.mslr import read_reviews, studies_text
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task110"
_SPLITS = {"train": Split.TRAIN, "dev": Split.TEST}


class Converter(Source):
    """Cochrane RCT summarisation converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for prefix, split in _SPLITS.items():
            for targets in self.files(raw_dir, f"{prefix}-targets.csv", required=split is Split.TRAIN):
                inputs = targets.parent / f"{prefix}-inputs.csv"
                for path, where, review in read_reviews(inputs, targets, on_error=report):
                    yield Example(task_id=TASK, split=split, input=studies_text(review), output=review.target,
                                  raw_id=f"{prefix}/{review.review_id}", origin=self.origin(path, where))
