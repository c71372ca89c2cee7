"""SEER case listing (breast cancer) -> task131 radiation/surgery sequence.

Based on the upstream MedS-Ins script ``seer_treatment_text_classification_task.py``:
it read a SEER*Stat case-listing export (``Query_5_years.csv``), used every
column except ``Radiation sequence with surgery`` (the label) and its own
``stutus_5_years`` (sic) as ``field: value`` input lines, and the label value
as the output. SEER*Stat exports a CSV with a header of variable names and
one row per case, values as their SEER labels.

Here the input is the ``field: value`` lines (one a line) of every column but
the label, the added five-year status and the ``Patient ID`` (an identifier,
not a feature); the output is the label value, which must be one of the seven
values of the task card (other SEER values, e.g. ``Sequence unknown, but both
were given``, are reported, as the task's closed label set cannot hold them).

Split: a deterministic 10% of the cases is test (the first byte of
``blake2b(Patient ID)`` below 26, or of the row's input when there is no
Patient ID); the rest is train.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import stream_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task131"
LABEL = "Radiation sequence with surgery"
NOT_FEATURES = frozenset({LABEL, "stutus_5_years", "status_5_years", "Patient ID"})
LABELS = frozenset({
    "Intraoperative rad with other rad before/after surgery", "Intraoperative radiation",
    "No radiation and/or cancer-directed surgery", "Radiation after surgery", "Radiation before and after surgery",
    "Radiation prior to surgery", "Surgery both before and after radiation",
})


def split_of(key: str) -> Split:
    """Test for about 10% of keys, fixed forever by the key alone."""
    return Split.TEST if hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()[0] < 26 else Split.TRAIN


class Converter(Source):
    """SEER case-listing converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "*.csv"):
            for where, row in stream_csv(path, required=(LABEL,), on_error=report):
                label = row[LABEL].strip()
                if label not in LABELS:
                    report(InputError(path, where, f"{LABEL} {label!r} is not one of the task's seven values"))
                    continue
                lines = [f"{k}: {v.strip()}" for k, v in row.items() if k not in NOT_FEATURES]
                text = "\n".join(lines)
                patient = row.get("Patient ID", "").strip()
                yield Example(task_id=TASK, split=split_of(patient or text), input=text, output=label,
                              raw_id=f"{path.name}:{patient or where}", origin=self.origin(path, where))
