"""The upstream MedS-Ins / MedS-Bench release files, repackaged as they are.

A generic source (``native = false``) for the Hub task files
``task<N>_<name>.json`` / ``.jsonl``. Shapes handled, all streamed:

* ``.json`` — a Super-NaturalInstructions-style object whose ``Instances``
  array can be several hundred MB. The header keys (``Definition``,
  ``Instance License``, languages) may come before or after ``Instances``, so
  a first streaming pass reads the header without building ``Instances``
  (:func:`~medsins.formats.read_json_header`) and a second pass streams the
  instances (:func:`~medsins.formats.iter_json_array`). A top-level array of
  instances is read too.
* ``.jsonl`` — one instance per line (``{"id"?, "input", "output"}``, or a
  Hugging Face Super-NaturalInstructions row with an ``Instance`` object and
  its own header keys), or — as some upstream scripts wrote them — one task
  object, pretty-printed. The first key of the file tells which.

Quirks tolerated: file-name typos (only the ``task<N>`` prefix is read), output
as a string or a list (the first is the reference, as upstream trains), a
number as output, ``Definition`` as a string or a list, missing, blank or NaN
ids (a stable id is derived from the file name, the instance index and a hash
of the input). A bad instance is reported with its place (``Instances[7]`` /
``line 7`` / ``Instances[7].output[1]``) and skipped; a file that cannot be
read is reported and the other files go on. Records already yielded from a
file that turns out truncated are kept.

NaN / Infinity (what ``json.dump`` writes for a pandas missing value; upstream
reads its files with ``json.load``, which accepts them) are read as Python's
json reads them. The streaming parser rejects them, so when a file fails to
parse it is streamed once into a temporary copy with those tokens marked
(:func:`~medsins.taskfile.write_finite_json_copy`: flat memory, disk the size
of the file) and read from the copy; a file without them keeps its original
error. NaN in a header field means absent; NaN where a string is required
rejects that instance only ("output must be a string ..., got NaN").

Several valid outputs: the first is the record's ``output``; all of them, for
scoring, come from :meth:`Converter.valid_outputs` (record id → outputs) until
records carry references. A bad further output rejects the instance.

Split: test when the file is under a MedS-Bench category folder (``MCQA``,
``NER``, ``Text_summarization``, …) or a ``test`` folder, when its name has a
``_test`` word, or when the task card is test-only; train otherwise. Test data
is never moved to train.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import Skipped, iter_json_array, read_json_header, read_jsonl
from medsins.plugins import Reporter
from medsins.records import Example, Split, TaskSplit
from medsins.registry import builtin_registry
from medsins.taskfile import (
    OutputError,
    TaskFileSource,
    derived_raw_id,
    first_text,
    json_layout,
    language_code,
    output_texts,
    restore_non_finite,
    spdx_license,
    split_marker,
    task_id_from_name,
    write_finite_json_copy,
)

#: MedS-Bench's category folders (with its own spelling, e.g. Fact_verication).
BENCH_FOLDERS = frozenset({
    "clinical_outcome_prediction", "diagnosis", "explanation", "fact_verication", "fact_verification",
    "information_extraction", "mcqa", "ner", "nli", "rationale", "text_classification",
    "text_summarization", "treatment_planning",
})
#: Other folder names that hold test files.
TEST_FOLDERS = frozenset({"test", "tests", "meds-bench", "meds_bench", "medsbench", "benchmark"})


@dataclass(frozen=True)
class _Header:
    """What a task file's header says about all its instances."""

    instruction: str | None = None
    license: str | None = None
    input_language: str | None = None
    output_language: str | None = None

    @classmethod
    def of(cls, header: dict[str, Any]) -> _Header:
        return cls(
            instruction=first_text(header.get("Definition")),
            license=spdx_license(header.get("Instance License")),
            input_language=language_code(header.get("Input_language")),
            output_language=language_code(header.get("Output_language")),
        )


def upstream_split(relative: Path) -> Split:
    """The split a file's place says: test under a MedS-Bench/test folder or with a ``_test`` name."""
    folders = {part.lower() for part in relative.parts[:-1]}
    if folders & (BENCH_FOLDERS | TEST_FOLDERS) or split_marker(relative.name) == "test":
        return Split.TEST
    return Split.TRAIN


class Converter(TaskFileSource):
    """Upstream task files → examples, streamed."""

    def task_files(self, raw_dir: Path) -> list[Path]:
        """Every ``task<N>_….json`` / ``.jsonl`` under ``raw_dir``, sorted by path."""
        found = [
            path
            for pattern in ("*.json", "*.jsonl")
            for path in self.files(raw_dir, pattern, required=False)
            if task_id_from_name(path.name)
        ]
        if not found:
            raise InputError(raw_dir, None, "no upstream task file (task<N>_<name>.json or .jsonl)")
        return sorted(found)

    def examples_and_outputs(
        self, raw_dir: Path, report: Reporter
    ) -> Iterator[tuple[Example, tuple[str, ...]]]:
        for path in self.task_files(raw_dir):
            try:
                yield from self._convert_file(Path(raw_dir), path, report)
            except InputError as exc:
                report(exc)  # a broken file does not stop the others

    # -- per file ------------------------------------------------------------------------

    def _convert_file(
        self, raw_dir: Path, path: Path, report: Reporter
    ) -> Iterator[tuple[Example, tuple[str, ...]]]:
        task_id = task_id_from_name(path.name) or ""
        if task_id not in self.manifest.tasks:
            problem = f"{task_id} (from the file name) is not a MedS-Ins or MedS-Bench task"
            raise InputError(path, None, problem)
        split = upstream_split(path.relative_to(raw_dir))
        if builtin_registry().get(task_id).split is TaskSplit.TEST:
            split = Split.TEST
        seen: set[int] = set()
        for index, where, item, header in self._instances(path, report):
            try:
                yield self._example(path, task_id, split, index, where, item, header, seen)
            except InputError as exc:
                report(exc)

    def _instances(self, path: Path, report: Reporter) -> Iterator[tuple[int, str, Any, _Header]]:
        """``(index, where, instance, header)`` for each instance of the file, streamed."""
        layout = json_layout(path)
        if layout == "lines":  # json.loads per line: NaN / Infinity are read as Python reads them
            for index, (where, row) in enumerate(read_jsonl(path, on_error=report)):
                if isinstance(row.get("Instance"), dict):  # a Hugging Face SNI row
                    yield index, where, row["Instance"], _Header.of(row)
                else:
                    yield index, where, row, _Header()
            return
        with ExitStack() as stack:
            source, context, prefix, name = path, _Header(), "item", "[{}]"
            if layout == "object":
                prefix, name = "Instances.item", "Instances[{}]"
                try:
                    header = read_json_header(path, skip=("Instances",))
                except InputError as exc:
                    source = _finite_copy(path, exc, stack)  # raises exc when the file has no NaN / Infinity
                    header = restore_non_finite(_as_original(path, read_json_header, source, skip=("Instances",)))
                instances = header.get("Instances")
                if instances is None:
                    raise InputError(path, None, "no Instances key")
                if not (isinstance(instances, Skipped) and instances.kind == "array"):
                    raise InputError(path, "Instances", f"expected an array, got {instances.kind}")
                context = _Header.of(header)
            ended: list[InputError] = []
            done = 0
            for index, (_, item) in enumerate(iter_json_array(source, prefix, on_error=ended.append)):
                yield index, name.format(index), item if source is path else restore_non_finite(item), context
                done += 1
            if ended and source is path:  # NaN / Infinity met while streaming (an array): go on from the copy
                try:
                    source = _finite_copy(path, ended[0], stack)
                except InputError:
                    source = path  # no NaN / Infinity: the original error stands
                if source is not path:
                    ended.clear()
                    for index, (_, item) in enumerate(iter_json_array(source, prefix, on_error=ended.append)):
                        if index >= done:
                            yield index, name.format(index), restore_non_finite(item), context
            for error in ended:
                report(type(error)(path, error.where, error.problem))  # named after the file, not the copy

    def _example(
        self, path: Path, task_id: str, split: Split, index: int, where: str, item: Any,
        header: _Header, seen: set[int],
    ) -> tuple[Example, tuple[str, ...]]:
        if not isinstance(item, dict):
            raise InputError(path, where, f"expected an instance object, got {type(item).__name__}")
        text = item.get("input")
        if not isinstance(text, str) or not text.strip():
            problem = "input is empty" if isinstance(text, str) else "missing or non-text input"
            raise InputError(path, where, problem)
        if "output" not in item:
            raise InputError(path, where, "missing output")
        try:
            outputs = output_texts(item["output"])
        except OutputError as exc:
            place = f"{where}.output" if exc.index is None else f"{where}.output[{exc.index}]"
            raise InputError(path, place, str(exc)) from None
        raw = item.get("id")
        if isinstance(raw, int | str) and not isinstance(raw, bool) and str(raw).strip():
            raw_id = str(raw).strip()
        else:
            raw_id = derived_raw_id(path.name, index, text)
        # 8-byte digests keep the duplicate check small for files of millions of instances.
        key = int.from_bytes(hashlib.blake2b(raw_id.encode(), digest_size=8).digest(), "big")
        if key in seen:
            raise InputError(path, where, f"duplicate id {raw_id!r} in this file")
        seen.add(key)
        example = Example(
            task_id=task_id,
            split=split,
            input=text,
            output=outputs[0],
            raw_id=raw_id,
            origin=self.origin(path, where),
            instruction=header.instruction,
            input_language=header.input_language,
            output_language=header.output_language,
            license=header.license,
        )
        return example, tuple(outputs)


def _finite_copy(path: Path, error: InputError, stack: ExitStack) -> Path:
    """A temporary copy of ``path`` with NaN / Infinity marked, or ``error`` raised when it has none."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="medsins-upstream-")))
    copy = folder / path.name
    try:
        replaced = write_finite_json_copy(path, copy)
    except OSError:
        raise error from None
    if not replaced:
        raise error
    return copy


def _as_original(path: Path, reader: Any, copy: Path, **kwargs: Any) -> Any:
    """``reader(copy, **kwargs)``, with any error named after ``path`` (the file the copy was made of)."""
    try:
        return reader(copy, **kwargs)
    except InputError as exc:
        raise type(exc)(path, exc.where, exc.problem) from None
