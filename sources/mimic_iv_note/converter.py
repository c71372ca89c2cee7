"""MIMIC-IV-Note 2.2: ``radiology.csv(.gz)`` -> tasks 78-96, ``discharge.csv(.gz)`` -> task76.

Based on the MIMIC-IV-Note 2.2 files (columns ``note_id, subject_id, hadm_id,
note_type, note_seq, charttime, storetime, text``) and on the upstream MedS-Ins
scripts ``mimic_iv_modality_anatomy_summaries.py``,
``mimic_modality_and_anatomy_classification.py`` and
``mimic_iv_discharge_instruction_completion.py``.

Radiology (a report needs EXAMINATION, FINDINGS and IMPRESSION sections; others
are not instances and are passed over):

* the modality (:func:`modalities`) and body region (:func:`anatomy`) are read
  from the EXAMINATION text with the upstream keywords, made token-exact and
  extended with MIMIC's own abbreviations (``US``, ``MR``, ``ABD``), because the
  exam names are written like ``CT ABD & PELVIS WITH CONTRAST`` or
  ``LIVER OR GALLBLADDER US``;
* tasks 78-82 (Ultrasound, Angiography, Mammogram, Pathology, Fluoroscopy):
  findings -> impression, one record per matching modality;
* tasks 83-94: a CT (or else MRI) exam of one of the six regions, findings ->
  impression (task ``83 + 6 * (MRI) + region``, as upstream numbered them);
* task95: findings and impression -> the modalities, comma-separated;
* task96: findings and impression -> the region label.

Discharge (task76): a summary with a ``Discharge Instructions:`` heading line;
the text before it is the input and the section itself (to the
``Followup Instructions:`` heading, if any) the output. A summary without the
heading is not an instance; one whose instructions are empty is reported.

Section texts keep their line structure with indentation and blank lines
removed. Split: by patient (about 10% of subject ids are test, by hash); test
patients feed only the test split of the benchmark summaries 78 and 83-94.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import stream_csv
from medsins.formats.sections import first_section, split_sections
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

COLUMNS = ("note_id", "subject_id", "text")
MODALITIES = ("X-ray", "CT", "MRI", "Ultrasound", "Angiography", "Mammogram", "Pathology", "Fluoroscopy")
REGIONS = ("Chest", "Head_and_neck", "Brain", "Abdomen", "Pelvis", "Spine")
#: Modality -> its findings->impression task (upstream: task{index + 75} for the last five).
MODALITY_TASK = {m: f"task{i + 75}" for i, m in enumerate(MODALITIES) if i >= 3}
#: Tasks with a test split (MedS-Bench summarisation); the others are train-only.
BENCHMARK = frozenset({"task78", *(f"task{n}" for n in range(83, 95))})

_TOKENS = {
    "CT": {"CT", "CTA"},
    "MRI": {"MR", "MRI", "MRA", "MRV"},
    "Ultrasound": {"US", "DUPLEX", "DOPPLER"},
}
_WORDS = {
    "X-ray": ("x-ray", "xray", "radiograph"),
    "Ultrasound": ("ultrasound", "sonogra"),
    "Angiography": ("angiogra",),
    "Mammogram": ("mammo",),
    "Pathology": ("pathology",),
    "Fluoroscopy": ("fluoro",),
}
_REGION_TOKENS = {
    "Chest": {"CHEST", "THORAX"},
    "Head_and_neck": {"HEAD", "NECK"},
    "Brain": {"BRAIN"},
    "Abdomen": {"ABDOMEN", "ABD", "ABDOMINAL"},
    "Pelvis": {"PELVIS", "PELVIC"},
    "Spine": {"SPINE", "SPINAL"},
}
_INSTRUCTIONS = re.compile(r"^[ \t]*Discharge Instructions:[ \t]*$", re.MULTILINE)
_FOLLOWUP = re.compile(r"^[ \t]*Followup Instructions:", re.MULTILINE)


def modalities(exam: str) -> list[str]:
    """Modalities named by an exam title, in the upstream order."""
    tokens = set(re.findall(r"[A-Z]+", exam.upper()))
    lower = exam.lower()
    return [m for m in MODALITIES if tokens & _TOKENS.get(m, set()) or any(w in lower for w in _WORDS.get(m, ()))]


def anatomy(exam: str) -> str | None:
    """The first body region (upstream order) named by an exam title."""
    tokens = set(re.findall(r"[A-Z]+", exam.upper()))
    return next((r for r in REGIONS if tokens & _REGION_TOKENS[r]), None)


def split_of(subject_id: str) -> Split:
    """About 10% of patients are test, fixed by the subject id alone."""
    return Split.TEST if hashlib.blake2b(subject_id.encode(), digest_size=8).digest()[0] < 26 else Split.TRAIN


def tidy(text: str) -> str:
    """The lines of a section without indentation or blank lines."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


class Converter(Source):
    """MIMIC-IV-Note converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        radiology = [p for p in self.files(raw_dir, "radiology.csv*", required=False) if _is_csv(p)]
        discharge = [p for p in self.files(raw_dir, "discharge.csv*", required=False) if _is_csv(p)]
        if not radiology and not discharge:
            raise InputError(raw_dir, None, "no radiology.csv(.gz) or discharge.csv(.gz) (source mimic_iv_note)")
        for path in radiology:
            for where, row in stream_csv(path, required=COLUMNS, on_error=report):
                yield from self._radiology(path, where, row, report)
        for path in discharge:
            for where, row in stream_csv(path, required=COLUMNS, on_error=report):
                yield from self._discharge(path, where, row, report)

    def _radiology(self, path: Path, where: str, row: dict[str, str], report: Reporter) -> Iterator[Example]:
        note_id, subject = row["note_id"].strip(), row["subject_id"].strip()
        if not note_id or not subject:
            report(InputError(path, where, "empty note_id or subject_id"))
            return
        sections = split_sections(row["text"])
        exam = first_section(sections, "EXAMINATION", "EXAM")
        findings = first_section(sections, "FINDINGS", "FINDING")
        impression = first_section(sections, "IMPRESSION", "IMPRESSIONS", "CONCLUSION")
        if exam is None or findings is None or impression is None:
            return  # not a findings -> impression report
        findings, impression = tidy(findings), tidy(impression)
        if not findings or not impression:
            empty = "FINDINGS" if not findings else "IMPRESSION"
            report(InputError(path, f"{where} (note {note_id})", f"empty {empty}"))
            return
        split = split_of(subject)
        origin = self.origin(path, f"{where} (note {note_id})")
        found, region = modalities(exam), anatomy(exam)
        tasks = [MODALITY_TASK[m] for m in found if m in MODALITY_TASK]
        scanner = "CT" if "CT" in found else "MRI" if "MRI" in found else None
        if scanner and region:
            tasks.append(f"task{83 + 6 * (scanner == 'MRI') + REGIONS.index(region)}")
        for task_id in tasks:
            if split is Split.TRAIN or task_id in BENCHMARK:
                yield Example(task_id=task_id, split=split, input=findings, output=impression,
                              raw_id=note_id, origin=origin)
        if split is not Split.TRAIN:
            return
        both = f"Findings: {findings}\nImpression: {impression}"
        if found:
            yield Example(task_id="task95", split=split, input=both, output=", ".join(found),
                          raw_id=note_id, origin=origin)
        if region:
            yield Example(task_id="task96", split=split, input=both, output=region, raw_id=note_id, origin=origin)

    def _discharge(self, path: Path, where: str, row: dict[str, str], report: Reporter) -> Iterator[Example]:
        note_id, subject, text = row["note_id"].strip(), row["subject_id"].strip(), row["text"]
        if not note_id or not subject:
            report(InputError(path, where, "empty note_id or subject_id"))
            return
        heading = _INSTRUCTIONS.search(text)
        if heading is None or split_of(subject) is not Split.TRAIN:
            return  # no instructions section, or a test patient (task76 is train-only)
        rest = text[heading.end():]
        followup = _FOLLOWUP.search(rest)
        instructions = tidy(rest[: followup.start()] if followup else rest)
        summary = text[: heading.start()].strip()
        if not instructions or not summary:
            report(InputError(path, f"{where} (note {note_id})",
                              "empty Discharge Instructions section" if not instructions else "nothing before it"))
            return
        yield Example(task_id="task76", split=Split.TRAIN, input=summary,
                      output=f"Discharge Instructions:\n{instructions}", raw_id=note_id,
                      origin=self.origin(path, f"{where} (note {note_id})"))


def _is_csv(path: Path) -> bool:
    return path.name.endswith((".csv", ".csv.gz"))
