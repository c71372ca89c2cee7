"""MIMIC-IV ICD-10 coding: ``diagnoses_icd`` + ``discharge`` -> task116.

Based on the MIMIC-IV 2.2 hosp module (``diagnoses_icd.csv.gz``: ``subject_id,
hadm_id, seq_num, icd_code, icd_version``; ``d_icd_diagnoses.csv.gz``:
``icd_code, icd_version, long_title``), the MIMIC-IV-Note 2.2 discharge notes
(``note_id, subject_id, hadm_id, note_type, note_seq, charttime, storetime,
text``) and the MIMIC-IV-ICD benchmark set-up that upstream MedS-Ins used
(thomasnguyen92/MIMIC-IV-ICD-data-processing: discharge text labelled with the
admission's ICD-10 codes).

The input is the discharge summary; the output the admission's ICD-10-CM
codes, as MIMIC writes them (no dot, e.g. ``E785``), unique, in ``seq_num``
order (priority), separated by ``", "``. Only ``icd_version`` 10 rows count; an
admission with no ICD-10 code (the ICD-9 era) is not an instance. When
``d_icd_diagnoses`` is present, a code missing from it is reported.
Split: task116 is a training task, so every record is train.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import stream_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task116"


def _csvs(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.name.endswith((".csv", ".csv.gz"))]


class Converter(Source):
    """MIMIC-IV ICD-10 coding converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        known = self._dictionary(raw_dir, report)
        codes = self._codes(raw_dir, known, report)
        for path in _csvs(self.files(raw_dir, "discharge.csv*")):
            required = ("note_id", "hadm_id", "text")
            for where, row in stream_csv(path, required=required, on_error=report):
                hadm, note_id, text = row["hadm_id"].strip(), row["note_id"].strip(), row["text"].strip()
                if hadm not in codes:
                    continue  # no ICD-10 diagnosis for this admission
                if not note_id or not text:
                    report(InputError(path, where, "empty note_id or text"))
                    continue
                ordered = [code for _, code in sorted(codes[hadm])]
                yield Example(task_id=TASK, split=Split.TRAIN, input=text, output=", ".join(dict.fromkeys(ordered)),
                              raw_id=note_id, origin=self.origin(path, f"{where} (note {note_id})"))

    def _dictionary(self, raw_dir: Path, report: Reporter) -> set[str] | None:
        paths = _csvs(self.files(raw_dir, "d_icd_diagnoses.csv*", required=False))
        if not paths:
            return None
        return {row["icd_code"].strip() for _, row in stream_csv(paths[0], required=("icd_code", "icd_version"),
                                                                  on_error=report)
                if row["icd_version"].strip() == "10"}

    def _codes(self, raw_dir: Path, known: set[str] | None, report: Reporter) -> dict[str, list[tuple[int, str]]]:
        """hadm_id -> [(seq_num, ICD-10 code)]."""
        codes: dict[str, list[tuple[int, str]]] = {}
        for path in _csvs(self.files(raw_dir, "diagnoses_icd.csv*")):
            required = ("hadm_id", "seq_num", "icd_code", "icd_version")
            for where, row in stream_csv(path, required=required, on_error=report):
                if row["icd_version"].strip() != "10":
                    continue
                code, hadm = row["icd_code"].strip(), row["hadm_id"].strip()
                try:
                    seq = int(row["seq_num"])
                except ValueError:
                    report(InputError(path, where, f"seq_num {row['seq_num']!r} is not a number"))
                    continue
                if not code or not hadm:
                    report(InputError(path, where, "empty hadm_id or icd_code"))
                elif known is not None and code not in known:
                    report(InputError(path, where, f"ICD-10 code {code!r} is not in d_icd_diagnoses"))
                else:
                    codes.setdefault(hadm, []).append((seq, code))
        return codes
