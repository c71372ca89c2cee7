"""DDXPlus: patients CSV + evidence/condition dictionaries -> task130 diagnosis.

Based on the DDXPlus documentation (mila-iqia/ddxplus README) and its
``code/convert_DDXPlus_to_texts.py``: a patient row has ``AGE``, ``SEX``,
``PATHOLOGY`` (a ``condition_name`` of ``release_conditions.json``),
``EVIDENCES`` (a Python-style list of evidence names, ``name`` for a binary
evidence and ``name_@_value`` for a categorical or multi-choice one),
``INITIAL_EVIDENCE`` and ``DIFFERENTIAL_DIAGNOSIS``. ``release_evidences.json``
gives each evidence's English question, type (``B``/``C``/``M``), possible
values and their meanings.

The input renders the history taking as text: age and sex, then one
``question -> answer`` line per evidence (the initial evidence first, the
values of a multi-choice evidence joined), with a numeric scale written as
``<v> (scale <min>-<max>)``. The output is the pathology's English name
(``cond-name-eng``) lower-cased, which is the label set of the task card.
A row with an unknown evidence, value or pathology is reported.

Split: train and validate patients -> train; test patients -> test. A split
shipped both as a .zip and extracted is read once (the extracted file).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_json, stream_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task130"
SPLITS = {"train": Split.TRAIN, "validate": Split.TRAIN, "test": Split.TEST}
COLUMNS = ("AGE", "SEX", "PATHOLOGY", "EVIDENCES", "INITIAL_EVIDENCE")
SEXES = {"M": "Male", "F": "Female"}
SEPARATOR = "_@_"
#: Antecedent answers are coded N/Y in value_meaning.
_YES_NO = {"N": "No", "Y": "Yes"}


class Evidences:
    """The evidence dictionary: renders evidence codes as question/answer lines."""

    def __init__(self, path: Path) -> None:
        data = read_json(path)
        if not isinstance(data, dict):
            raise InputError(path, None, "expected a JSON object of evidence name -> description")
        self.items: dict[str, dict[str, Any]] = data

    def render(self, codes: list[str], initial: str) -> list[str]:
        """Question/answer lines, the initial evidence first; ValueError for an unknown code."""
        values: dict[str, list[str]] = {}
        for code in [initial, *codes]:
            name, _, value = code.partition(SEPARATOR)
            if name not in self.items:
                raise ValueError(f"unknown evidence {name!r}")
            listed = values.setdefault(name, [])
            if value and value not in listed:
                listed.append(value)
        return [f"{self._question(name)} {self._answer(name, vals)}" for name, vals in values.items()]

    def _question(self, name: str) -> str:
        question = str(self.items[name].get("question_en") or name).strip()
        return question if question.endswith(("?", ":")) else f"{question}:"

    def _answer(self, name: str, values: list[str]) -> str:
        evidence = self.items[name]
        if not values:
            return "Yes"
        meanings = evidence.get("value_meaning") or {}
        words = []
        for value in values:
            if value in meanings:
                meaning = meanings[value]
                word = str(meaning.get("en", value) if isinstance(meaning, dict) else meaning)
                words.append(_YES_NO.get(word, word))
                continue
            scale = [v for v in evidence.get("possible-values") or [] if isinstance(v, int | float)]
            if scale and value.lstrip("-").replace(".", "", 1).isdigit():
                words.append(f"{value} (scale {min(scale)}-{max(scale)})")
                continue
            raise ValueError(f"unknown value {value!r} of evidence {name!r}")
        return ", ".join(words)


def _conditions(path: Path) -> dict[str, str]:
    """condition_name (English or French release) -> English name."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(path, None, "expected a JSON object of pathology -> description")
    names: dict[str, str] = {}
    for key, cond in data.items():
        if not isinstance(cond, dict):
            raise InputError(path, f"key {key!r}", "expected an object")
        english = str(cond.get("cond-name-eng") or cond.get("condition_name") or key).strip()
        for alias in (key, cond.get("condition_name"), cond.get("cond-name-fr"), english):
            if isinstance(alias, str) and alias.strip():
                names[alias.strip()] = english
    return names


def _patient_files(paths: list[Path]) -> list[tuple[Path, Split]]:
    """One file per split: the extracted CSV when both it and the .zip are there."""
    chosen: dict[str, Path] = {}
    for path in paths:
        stem = path.name.split(".")[0]  # release_train_patients
        part = stem.removeprefix("release_").removesuffix("_patients")
        if part not in SPLITS or path.suffix not in {"", ".csv", ".zip"}:
            continue
        if part not in chosen or chosen[part].suffix == ".zip":
            chosen[part] = path
    return [(chosen[p], SPLITS[p]) for p in SPLITS if p in chosen]


class Converter(Source):
    """DDXPlus converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        evidences = Evidences(self.files(raw_dir, "release_evidences.json")[0])
        conditions = _conditions(self.files(raw_dir, "release_conditions.json")[0])
        files = _patient_files(self.files(raw_dir, "release_*_patients*"))
        if not files:
            raise InputError(raw_dir, None, "no release_{train,validate,test}_patients file (source ddxplus)")
        for path, split in files:
            for where, row in stream_csv(path, required=COLUMNS, on_error=report):
                try:
                    text, label = self._patient(row, evidences, conditions)
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))
                    continue
                stem = path.name.split(".")[0]
                yield Example(task_id=TASK, split=split, input=text, output=label,
                              raw_id=f"{stem}:{where.removeprefix('line ')}", origin=self.origin(path, where))

    @staticmethod
    def _patient(row: dict[str, str], evidences: Evidences, conditions: dict[str, str]) -> tuple[str, str]:
        pathology = row["PATHOLOGY"].strip()
        if pathology not in conditions:
            raise ValueError(f"PATHOLOGY {pathology!r} is not in release_conditions.json")
        try:
            codes = ast.literal_eval(row["EVIDENCES"])
        except (ValueError, SyntaxError):
            raise ValueError(f"EVIDENCES is not a list: {row['EVIDENCES'][:60]!r}") from None
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ValueError("EVIDENCES is not a list of evidence codes")
        age, sex = row["AGE"].strip(), row["SEX"].strip()
        if not age or sex not in SEXES:
            raise ValueError(f"bad AGE {age!r} or SEX {sex!r}")
        lines = evidences.render(codes, row["INITIAL_EVIDENCE"].strip())
        text = f"Age: {age}\nSex: {SEXES[sex]}\nInitial complaint: {lines[0]}\n" + "\n".join(lines[1:])
        return text.rstrip(), conditions[pathology].lower()
