"""MIMIC-IV-ED benchmark: ``master_dataset.csv`` (or ``train.csv``/``test.csv``) -> tasks 117-119.

Based on nliulab/mimic4ed-benchmark (``extract_master_dataset.py`` writes
``master_dataset.csv``, one row per ED stay; ``data_general_processing.py``
filters it and writes an 80/20 ``train.csv``/``test.csv``) and on the upstream
MedS-Ins scripts ``mimic4ed_{hospitalization_prediction,critical_triage_prediction,
72h_ed_revisit_disposition}.py``, whose variable lists are used here:

* task117 hospitalization and task119 critical triage: the triage-time
  variables (age, gender, prior visits, triage vitals and acuity, chief
  complaint flags, comorbidities) -> ``outcome_hospitalization`` /
  ``outcome_critical``;
* task118 72-hour revisit: the disposition-time variables (the same without
  triage vitals, plus the last ED vitals, ED length of stay and medication
  counts) -> ``outcome_ed_revisit_3d``.

The input is ``variable: value`` lines (an empty value is written ``NA``), with
the free-text ``chiefcomplaint`` added after the flags when the column exists;
the output is ``True`` or ``False``. An outcome that is not a boolean is
reported. Split: train.csv -> train and test.csv -> test when they exist;
otherwise master_dataset.csv split by patient (about 20% of subjects are test).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import stream_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_HISTORY = ["age", "gender", "n_ed_30d", "n_ed_90d", "n_ed_365d", "n_hosp_30d", "n_hosp_90d", "n_hosp_365d",
            "n_icu_30d", "n_icu_90d", "n_icu_365d"]
_TRIAGE_VITALS = ["triage_temperature", "triage_heartrate", "triage_resprate", "triage_o2sat", "triage_sbp",
                  "triage_dbp"]
_COMPLAINTS = ["chiefcom_chest_pain", "chiefcom_abdominal_pain", "chiefcom_headache", "chiefcom_shortness_of_breath",
               "chiefcom_back_pain", "chiefcom_cough", "chiefcom_nausea_vomiting", "chiefcom_fever_chills",
               "chiefcom_syncope", "chiefcom_dizziness"]
_COMORBIDITIES = ["cci_MI", "cci_CHF", "cci_PVD", "cci_Stroke", "cci_Dementia", "cci_Pulmonary", "cci_Rheumatic",
                  "cci_PUD", "cci_Liver1", "cci_DM1", "cci_DM2", "cci_Paralysis", "cci_Renal", "cci_Cancer1",
                  "cci_Liver2", "cci_Cancer2", "cci_HIV", "eci_Arrhythmia", "eci_Valvular", "eci_PHTN", "eci_HTN1",
                  "eci_HTN2", "eci_NeuroOther", "eci_Hypothyroid", "eci_Lymphoma", "eci_Coagulopathy",
                  "eci_Obesity", "eci_WeightLoss", "eci_FluidsLytes", "eci_BloodLoss", "eci_Anemia", "eci_Alcohol",
                  "eci_Drugs", "eci_Psychoses", "eci_Depression"]
_ED_COURSE = ["ed_temperature_last", "ed_heartrate_last", "ed_resprate_last", "ed_o2sat_last", "ed_sbp_last",
              "ed_dbp_last", "ed_los", "n_med", "n_medrecon"]

#: Variables at triage (tasks 117, 119) and at ED disposition (task118), as upstream.
TRIAGE = [*_HISTORY, *_TRIAGE_VITALS, "triage_pain", "triage_acuity", *_COMPLAINTS, *_COMORBIDITIES]
DISPOSITION = [*_HISTORY, "triage_pain", "triage_acuity", *_COMPLAINTS, *_COMORBIDITIES, *_ED_COURSE]
#: task -> (variables, outcome column)
TASKS = {
    "task117": (TRIAGE, "outcome_hospitalization"),
    "task118": (DISPOSITION, "outcome_ed_revisit_3d"),
    "task119": (TRIAGE, "outcome_critical"),
}
REQUIRED = tuple(dict.fromkeys(["subject_id", "stay_id", *TRIAGE, *DISPOSITION, *(o for _, o in TASKS.values())]))
_BOOLEANS = {"true": "True", "1": "True", "1.0": "True", "false": "False", "0": "False", "0.0": "False"}


def split_of(subject_id: str) -> Split:
    """About 20% of patients are test, fixed by the subject id alone."""
    return Split.TEST if hashlib.blake2b(subject_id.encode(), digest_size=8).digest()[0] < 51 else Split.TRAIN


def describe(row: dict[str, str], variables: list[str]) -> str:
    """``variable: value`` lines; the chief complaint text follows its keyword flags."""
    lines = []
    for name in variables:
        lines.append(f"{name}: {row[name].strip() or 'NA'}")
        if name == _COMPLAINTS[-1] and "chiefcomplaint" in row:
            lines.append(f"chiefcomplaint: {row['chiefcomplaint'].strip() or 'NA'}")
    return "\n".join(lines)


class Converter(Source):
    """mimic4ed-benchmark converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        parts = [(p, Split.TRAIN) for p in self.files(raw_dir, "train.csv", required=False)]
        parts += [(p, Split.TEST) for p in self.files(raw_dir, "test.csv", required=False)]
        if not parts:
            parts = [(p, None) for p in self.files(raw_dir, "master_dataset.csv")]
        for path, file_split in parts:
            for where, row in stream_csv(path, required=REQUIRED, on_error=report):
                stay, subject = row["stay_id"].strip(), row["subject_id"].strip()
                if not stay or not subject:
                    report(InputError(path, where, "empty stay_id or subject_id"))
                    continue
                split = file_split or split_of(subject)
                origin = self.origin(path, where)
                for task_id, (variables, outcome) in TASKS.items():
                    label = _BOOLEANS.get(row[outcome].strip().lower())
                    if label is None:
                        report(InputError(path, where, f"{outcome} {row[outcome]!r} is not True/False"))
                        continue
                    yield Example(task_id=task_id, split=split, input=describe(row, variables), output=label,
                                  raw_id=stay, origin=origin)
