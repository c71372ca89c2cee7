"""MS^2 (MSLR 2022 CSV release) -> task109 multi-document summarisation.

Based on the MSLR shared-task README (``allenai/mslr-shared-task``):
``<split>-inputs.csv`` (``ReviewID, PMID, Title, Abstract``, one row per
study), ``<split>-targets.csv`` (``ReviewID, Target``) and, for MS^2,
``<split>-reviews-info.csv`` (``ReviewID, Background``), joined by
:func:`medsins.formats.mslr.read_reviews`.

task109: input ``Background: ...`` (when the review has one) followed by the
studies as ``Study N`` blocks of title and abstract; output the target
summary. task109 is a training task, so only the ``train-`` files are read
(``dev-`` and the target-less ``test-`` files stay for evaluation). Reviews
without studies or target are reported by the reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.formats.mslr import read_reviews, studies_text
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task109"


class Converter(Source):
    """MS^2 converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for targets in self.files(raw_dir, "train-targets.csv"):
            folder = targets.parent
            info = folder / "train-reviews-info.csv"
            reviews = read_reviews(folder / "train-inputs.csv", targets, info if info.exists() else None,
                                   on_error=report)
            for path, where, review in reviews:
                studies = studies_text(review)
                text = f"Background: {review.background}\n\n{studies}" if review.background else studies
                yield Example(task_id=TASK, split=Split.TRAIN, input=text, output=review.target,
                              raw_id=review.review_id, origin=self.origin(path, where))
