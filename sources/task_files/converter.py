"""Contributed task files: every ``task*.json``, ``task*.jsonl`` and ``*.xlsx`` under the raw folder.

A generic source (``native = false``): the files are not a corpus but task
files contributors write in the MedS-Ins contributor formats (see
:mod:`medsins.taskfile`). Rules, all per file:

* **Task** — the registry task id the file name starts with
  (``task114_my_summaries.json`` → ``task114``). A name without one, or an id
  that is not a MedS-Ins / MedS-Bench task, rejects the file.
* **Validation** — the whole file is checked first (schema, duplicate ids); a
  bad file is rejected with one error naming the file and the JSON path or
  sheet row, and yields nothing.
* **Forms** — JSON, the Excel workbook (the official template with its
  ``Task Card`` title included), and the ``.jsonl`` forms the ``upstream``
  source reads: one task object, one instance per line (no header: the task
  card's definition and languages apply), or Super-NaturalInstructions rows.
  Blank and NaN ids are absent ids; NaN reads as Python's json reads it (see
  :mod:`medsins.taskfile`).
* **Outputs** — one record per instance, the first listed output being the
  reference answer (upstream MedS-Ins trains on ``output[0]`` too). A record
  has one output, so the full list of an instance with several valid outputs
  is handed over by :meth:`Converter.valid_outputs` (record id → outputs),
  for scoring, until records carry references.
* **Few-shot leakage** — an instance whose input is also a ``Positive
  Examples`` input is reported and skipped (Super-NaturalInstructions rule).
* **Split** — a ``_test`` / ``_train`` word in the file name, else
  ``Split Type`` (``Train/Test``: about 10% of instances, chosen by a hash of
  the task and instance id, go to test, unless the task card allows only one
  split), else the task card's split (test-only tasks → test, others → train).
  A file name and ``Split Type`` that disagree reject the file.
* **License** — ``Instance License`` mapped to SPDX when recognised, else the
  manifest's NOASSERTION.
* **Instruction** — the file's first ``Definition``; languages from
  ``Input_language`` / ``Output_language`` when they name one known language.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.plugins import Reporter
from medsins.records import Example, Split, TaskSplit
from medsins.registry import builtin_registry
from medsins.taskfile import (
    ParsedTaskFile,
    TaskFileSource,
    derived_raw_id,
    language_code,
    read_contributor_file,
    split_marker,
    task_id_from_name,
)

#: Share of a ``Train/Test`` file's instances that go to the test split, in tenths.
_TEST_TENTHS = 1


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Converter(TaskFileSource):
    """Contributor task files (JSON or Excel) → examples of registry tasks."""

    def task_files(self, raw_dir: Path) -> list[Path]:
        """The contributor files under ``raw_dir``, sorted by path."""
        found = [
            p
            for pattern in ("*.json", "*.jsonl")
            for p in self.files(raw_dir, pattern, required=False)
            if p.name.lower().startswith("task")
        ] + [p for p in self.files(raw_dir, "*.xlsx", required=False) if not p.name.startswith("~$")]
        if not found:
            raise InputError(raw_dir, None, "no contributor task file (task<N>_<name>.json, .jsonl or .xlsx)")
        return sorted(found)

    def examples_and_outputs(
        self, raw_dir: Path, report: Reporter
    ) -> Iterator[tuple[Example, tuple[str, ...]]]:
        for path in self.task_files(raw_dir):
            try:
                task_id = self._task_id(path)
                parsed = read_contributor_file(path)
                file_split = self._file_split(parsed)
            except InputError as exc:
                report(exc)  # one bad file does not stop the others
                continue
            yield from self._examples(parsed, task_id, file_split, report)

    def demonstrations(self, raw_dir: Path) -> dict[str, list[tuple[str, str]]]:
        """The ``Positive Examples`` of every readable file, by task id."""
        demos: dict[str, list[tuple[str, str]]] = {}
        try:
            paths = self.task_files(raw_dir)
        except InputError:
            return demos  # convert() reports the empty folder
        for path in paths:
            task_id = task_id_from_name(path.name)
            try:
                parsed = read_contributor_file(path)
            except InputError:
                continue
            for demo in parsed.task.positive_examples if parsed.task is not None else ():
                demos.setdefault(task_id or path.name, []).append((demo.input, demo.output[0]))
        return demos

    # -- per file ------------------------------------------------------------------------

    def _task_id(self, path: Path) -> str:
        task_id = task_id_from_name(path.name)
        if task_id is None:
            problem = "the file name must start with its task id, e.g. task114_<name>.json"
            raise InputError(path, None, problem)
        if task_id not in self.manifest.tasks:
            raise InputError(
                path, None, f"the file name names {task_id}, which is not a MedS-Ins or MedS-Bench task"
            )
        return task_id

    @staticmethod
    def _file_split(parsed: ParsedTaskFile) -> str | None:
        """``train``/``test``, ``both`` (Train/Test) or None (not stated), from name and Split Type."""
        marker = split_marker(parsed.path.name)
        split_type = parsed.task.split_type if parsed.task is not None else None
        declared = (split_type or "").lower() or None
        declared = "both" if declared == "train/test" else declared
        if marker and declared and declared != "both" and declared != marker:
            raise InputError(parsed.path, "Split Type", f"says {split_type!r} but the file name says {marker}")
        return marker or declared

    def _split(self, task_id: str, file_split: str | None, raw_id: str) -> Split:
        allowed = builtin_registry().get(task_id).split
        if file_split in ("train", "test"):
            return Split(file_split)
        if allowed is not TaskSplit.BOTH:
            return Split.TEST if allowed is TaskSplit.TEST else Split.TRAIN
        if file_split == "both":
            digest = hashlib.blake2b(f"{task_id}\x1f{raw_id}".encode(), digest_size=8).digest()
            return Split.TEST if int.from_bytes(digest) % 10 < _TEST_TENTHS else Split.TRAIN
        return Split.TRAIN

    def _examples(
        self, parsed: ParsedTaskFile, task_id: str, file_split: str | None, report: Reporter
    ) -> Iterator[tuple[Example, tuple[str, ...]]]:
        task, path = parsed.task, parsed.path
        # A file of bare instances (JSON Lines) has no header: the task card's definition,
        # languages and the manifest's license apply.
        demos = {_key(d.input): i for i, d in enumerate(task.positive_examples if task else ())}
        instruction = task.definition[0] if task else None
        input_language = language_code(task.input_language) if task else None
        output_language = language_code(task.output_language) if task else None
        license_id = task.license if task else None
        for index, instance in enumerate(parsed.instances):
            where = parsed.where(index)
            if _key(instance.input) in demos:
                report(InputError(
                    path, where,
                    f"input repeats Positive Examples[{demos[_key(instance.input)]}]; "
                    "a few-shot example must not be an instance",
                ))
                continue
            raw_id = instance.id or derived_raw_id(path.name, index, instance.input)
            example = Example(
                task_id=task_id,
                split=self._split(task_id, file_split, raw_id),
                input=instance.input,
                output=instance.output[0],
                raw_id=raw_id,
                origin=self.origin(path, where),
                instruction=instruction,
                input_language=input_language,
                output_language=output_language,
                license=license_id,
            )
            yield example, tuple(instance.output)
