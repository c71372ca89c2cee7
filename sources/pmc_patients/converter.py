"""PMC-Patients -> task73 (title), task74 (sex and age), task75 (similar patients).

Based on the dataset card of ``zhengyun21/PMC-Patients`` (``PMC-Patients.csv``
columns ``patient_id, patient_uid, PMID, file_path, title, patient, age,
gender, relevant_articles, similar_patients``; ``age`` is a list of
``[value, unit]`` with unit year/month/week/day/hour, ``gender`` is M or F;
``similar_patients`` maps patient_uid -> similarity 1/2, an older release a
plain list) and on ``PMC-Patients-MetaData`` (``test_patient_uids.json``, the
official test split). In the CSV the list/dict columns are Python literals
(``[[60.0, 'year']]``, ``{'123-1': 2}``); in the JSON exports they are native.
``PMC-Patients*.json`` is read only when no CSV is present (same records).

* task73: input the patient summary, output the source article's title.
* task74: input the summary, output ``Gender: F Age: [[3.0, 'week']]``
  (the task definition's form, age as in the corpus).
* task75: input ``Query: <summary>`` then ``Case1: ...`` to ``Case5: ...``,
  output the labels of the candidates the corpus annotates as similar to the
  query (``Case2, Case4``). Candidates are up to 3 annotated similar patients
  (highest score first) plus patients neither similar nor from the query's
  article, picked and ordered by a hash of the query's uid (deterministic).

Split: with ``test_patient_uids.json`` present, its patients are task74's
test split and appear in no training record (neither task73/75 items nor
task75 candidates); every other patient is train. Without it all is train.
Memory: the CSV (about 545 MB) is streamed, but task75 needs every summary,
so the patients are held until the end.
A row with a missing column or an unusable age/sex is reported (for task74
only; its task73/75 items are still built when possible).
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import iter_json_array, read_json
from medsins.formats.csvfile import stream_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

AGE_UNITS = ("year", "month", "week", "day", "hour")
_COLUMNS = ("patient_uid", "PMID", "title", "patient", "age", "gender", "similar_patients")
CANDIDATES = 5
MAX_SIMILAR = 3


@dataclass
class Patient:
    """The fields of one patient the tasks need."""

    uid: str
    pmid: str
    title: str
    text: str
    origin: str
    similar: dict[str, int] = field(default_factory=dict)


def literal(value: Any) -> Any:
    """A CSV cell holding a Python literal, parsed; native JSON values pass through."""
    if isinstance(value, str):
        text = value.strip()
        return ast.literal_eval(text) if text else None
    return value


def parse_age(value: Any) -> list[list[float | str]]:
    """``[[value, unit], ...]`` with float values and known units; raises ValueError."""
    age = literal(value)
    if not isinstance(age, (list, tuple)) or not age:
        raise ValueError(f"age {value!r} is not a non-empty list of [value, unit]")
    out: list[list[float | str]] = []
    for part in age:
        if not (isinstance(part, (list, tuple)) and len(part) == 2 and part[1] in AGE_UNITS):
            raise ValueError(f"age part {part!r} is not [value, unit] with unit in {', '.join(AGE_UNITS)}")
        out.append([float(part[0]), part[1]])
    return out


def parse_similar(value: Any) -> dict[str, int]:
    """patient_uid -> similarity score (a plain list means score 1)."""
    similar = literal(value)
    if similar is None:
        return {}
    if isinstance(similar, dict):
        return {str(k): int(v) for k, v in similar.items()}
    if isinstance(similar, (list, tuple)):
        return {str(k): 1 for k in similar}
    raise ValueError(f"similar_patients {value!r} is neither a dict nor a list")


def demographics(gender: Any, age: Any) -> str:
    """The task74 output."""
    if gender not in ("M", "F"):
        raise ValueError(f"gender {gender!r} is not M or F")
    return f"Gender: {gender} Age: {parse_age(age)!r}"


def _rank(*parts: str) -> bytes:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()


class Converter(Source):
    """PMC-Patients converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        test_uids = self._test_uids(raw_dir)
        patients: list[Patient] = []
        for path, where, row in self._rows(raw_dir, report):
            origin = self.origin(path, where)
            missing = [c for c in _COLUMNS if c not in row]
            uid = str(row.get("patient_uid", "")).strip()
            text = str(row.get("patient", "")).strip()
            if missing or not uid or not text:
                report(InputError(path, where, f"missing {', '.join(missing) or 'patient_uid or patient text'}"))
                continue
            is_test = uid in test_uids
            try:
                yield Example(task_id="task74", split=Split.TEST if is_test else Split.TRAIN, input=text,
                              output=demographics(row["gender"], row["age"]), raw_id=uid, origin=origin)
            except (ValueError, SyntaxError, TypeError) as exc:
                report(InputError(path, where, f"task74: {exc}"))
            if is_test:
                continue  # test patients appear in no training task
            title = str(row["title"]).strip()
            if title:
                yield Example(task_id="task73", split=Split.TRAIN, input=text, output=title,
                              raw_id=uid, origin=origin)
            try:
                similar = parse_similar(row["similar_patients"])
            except (ValueError, SyntaxError, TypeError) as exc:
                report(InputError(path, where, f"task75: {exc}"))
                similar = {}
            patients.append(Patient(uid, str(row["PMID"]).strip(), title, text, origin, similar))
        yield from self._retrieval(patients)

    def _rows(self, raw_dir: Path, report: Reporter) -> Iterator[tuple[Path, str, dict[str, Any]]]:
        csvs = self.files(raw_dir, "PMC-Patients.csv", required=False)
        if csvs:
            for path in csvs:
                for where, row in stream_csv(path, required=_COLUMNS, on_error=report):
                    yield path, where, row
            return
        jsons = self.files(raw_dir, "PMC-Patients*.json", required=False)
        if not jsons:
            raise InputError(raw_dir, None, "no PMC-Patients.csv or PMC-Patients*.json (source pmc_patients)")
        for path in jsons:
            for where, item in iter_json_array(path, on_error=report):
                if isinstance(item, dict):
                    yield path, where, item
                else:
                    report(InputError(path, where, f"expected a JSON object, got {type(item).__name__}"))

    def _test_uids(self, raw_dir: Path) -> set[str]:
        uids: set[str] = set()
        for path in self.files(raw_dir, "test_patient_uids.json", required=False):
            value = read_json(path)
            if not isinstance(value, list):
                raise InputError(path, None, "expected a JSON list of patient_uids")
            uids |= {str(v) for v in value}
        return uids

    def _retrieval(self, patients: list[Patient]) -> Iterator[Example]:
        """task75 items: one per patient with an annotated similar patient in the corpus."""
        by_uid = {p.uid: p for p in patients}
        order = sorted(by_uid)
        for query in patients:
            positives = sorted(
                (uid for uid in query.similar if uid in by_uid and uid != query.uid),
                key=lambda uid: (-query.similar[uid], uid),
            )[:MAX_SIMILAR]
            if not positives:
                continue
            negatives: list[str] = []
            for k in range(64):  # bounded walk over hash-picked patients
                if len(positives) + len(negatives) == CANDIDATES:
                    break
                uid = order[int.from_bytes(_rank(query.uid, str(k)), "big") % len(order)]
                other = by_uid[uid]
                if uid == query.uid or uid in query.similar or uid in negatives or other.pmid == query.pmid:
                    continue
                negatives.append(uid)
            if not negatives:
                continue  # nothing to tell apart: not a retrieval item
            candidates = sorted(positives + negatives, key=lambda uid: _rank(query.uid, uid))
            lines = [f"Query: {query.text}"]
            lines += [f"Case{i}: {by_uid[uid].text}" for i, uid in enumerate(candidates, start=1)]
            answer = ", ".join(f"Case{i}" for i, uid in enumerate(candidates, start=1) if uid in positives)
            yield Example(task_id="task75", split=Split.TRAIN, input="\n".join(lines), output=answer,
                          raw_id=query.uid, origin=query.origin)
