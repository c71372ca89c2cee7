"""MIMIC-CXR reports: ``files/pXX/p<subject>/s<study>.txt`` -> task112.

Based on the MIMIC-CXR 2.x layout (one plain-text report per study, the
subject and study ids in the folder and file names) and on the upstream
MedS-Ins script ``mimic_cxr_text_summarization.py``: the FINDINGS section is
the input and the IMPRESSION the output, each with its line wraps made single
spaces. Sections are found by their top-level headers
(:func:`medsins.formats.sections.split_sections`), so an IMPRESSION written
before the FINDINGS, or a NOTIFICATION after it, is handled.

A report without a FINDINGS or IMPRESSION section is not an instance of the
task (many reports have only an impression) and is passed over; one whose
section is present but empty is reported.

Split: with ``mimic-cxr-2.0.0-split.csv(.gz)`` (MIMIC-CXR-JPG) a study of its
``test`` split is test and every other study train; without it, about 10% of
the patients are test (by a hash of the subject id).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_text, stream_csv
from medsins.formats.sections import first_section, one_line, split_sections
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task112"


def split_of(subject: str) -> Split:
    """About 10% of patients are test, fixed by the subject id alone."""
    return Split.TEST if hashlib.blake2b(subject.encode(), digest_size=8).digest()[0] < 26 else Split.TRAIN


class Converter(Source):
    """MIMIC-CXR report converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        official = self._official_split(raw_dir, report)
        for path in self.files(raw_dir, "s*.txt"):
            study = path.stem
            if not study[1:].isdigit():
                continue  # not a study report (s<digits>.txt)
            subject = path.parent.name if path.parent.name.startswith("p") else study
            text = read_text(path, allow_empty=True, on_error=report)
            if text is None:
                continue  # unreadable: reported by read_text
            sections = split_sections(text)
            findings = first_section(sections, "FINDINGS", "FINDING")
            impression = first_section(sections, "IMPRESSION", "IMPRESSIONS", "CONCLUSION")
            if findings is None or impression is None:
                continue  # not a findings -> impression report
            if not findings.strip() or not impression.strip():
                empty = "FINDINGS" if not findings.strip() else "IMPRESSION"
                report(InputError(path, None, f"empty {empty} section"))
                continue
            if official is not None:
                split = Split.TEST if official.get(study.lstrip("s")) == "test" else Split.TRAIN
            else:
                split = split_of(subject)
            yield Example(task_id=TASK, split=split, input=one_line(findings), output=one_line(impression),
                          raw_id=f"{subject}/{study}", origin=f"{subject}/{path.name}")

    def _official_split(self, raw_dir: Path, report: Reporter) -> dict[str, str] | None:
        """study_id -> split from MIMIC-CXR-JPG's split file, when it is there."""
        paths = self.files(raw_dir, "mimic-cxr-2.0.0-split.csv*", required=False)
        if not paths:
            return None
        splits: dict[str, str] = {}
        for _, row in stream_csv(paths[0], required=("study_id", "split"), on_error=report):
            splits[row["study_id"].strip()] = row["split"].strip()
        return splits
