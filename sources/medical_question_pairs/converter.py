"""Medical Question Pairs (Curai MQP): similar / dissimilar question pairs -> task38.

Native file (the curai/medical-question-pair-dataset repository, also what the
BigBio ``mqp`` loader reads): ``mqp.csv``, comma-separated with CSV quoting and
**no header row**, columns ``dr_id, question_1, question_2, label`` (label
``1`` = similar, ``0`` = dissimilar). A header row, if a copy has one, is
skipped. task38 is a training task: every pair goes to the train split.

Input: ``Question1: ...`` and ``Question2: ...`` on two lines. Output:
``Similar`` or ``Dissimilar``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_COLUMNS = ("dr_id", "question_1", "question_2", "label")
_LABELS = {"1": "Similar", "0": "Dissimilar"}


class Converter(Source):
    """Medical Question Pairs converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "mqp.csv"):
            for index, (where, row) in enumerate(read_csv(path, fieldnames=_COLUMNS, on_error=report)):
                label = row["label"].strip()
                if index == 0 and label == "label":
                    continue  # a copy with a header row
                first, second = row["question_1"].strip(), row["question_2"].strip()
                if label not in _LABELS or not first or not second:
                    report(InputError(path, where, f"expected two questions and label 0/1, found label {label!r}"))
                    continue
                yield Example(task_id="task38", split=Split.TRAIN,
                              input=f"Question1: {first}\nQuestion2: {second}", output=_LABELS[label],
                              raw_id=f"mqp-{where.removeprefix('line ')}", origin=self.origin(path, where))
