"""The conformance suite every source passes (``medsins check-source``).

Modelled on Super-NaturalInstructions' task tests, adapted to converters: the
manifest, the sample, and the records a conversion yields are checked. Each
finding is an *error* (the source is not ready) or a *warning* (worth a look;
does not block).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.plugins import BrokenSource, Source
from medsins.records import AccessLevel, AnswerFormat, Record, SourceManifest, split_entities
from medsins.registry import Registry
from medsins.stages.identity import CONFLICT, DUPLICATE, IdentityIndex


class Level(StrEnum):
    """How serious a finding is."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One result of one check."""

    level: Level
    check: str
    message: str


@dataclass
class Report:
    """All findings for one source, with the per-task record counts."""

    source: str
    raw_dir: str
    counts: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.level is Level.ERROR for f in self.findings)

    def add(self, level: Level, check: str, message: str) -> None:
        """Record a finding."""
        self.findings.append(Finding(level, check, message))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        data = asdict(self)
        data["ok"] = self.ok
        return data


#: Beyond this many examples, a finding lists only the first few.
_SHOW = 3


def _examples(items: list[str]) -> str:
    more = f" (+{len(items) - _SHOW} more)" if len(items) > _SHOW else ""
    return "; ".join(items[:_SHOW]) + more


def broken_report(broken: BrokenSource) -> Report:
    """The report of a source that could not be loaded: one ``source-loads`` error, in plain words."""
    report = Report(broken.name, broken.where)
    report.add(Level.ERROR, "source-loads", broken.problem)
    return report


def check_source(source: Source, registry: Registry, raw_dir: Path | None = None) -> Report:
    """Run every check on ``source`` converting ``raw_dir`` (default: its sample)."""
    raw = Path(raw_dir) if raw_dir is not None else source.sample_dir
    report = Report(source.id, str(raw))
    _check_manifest(source, registry, report, sample=raw_dir is None)
    records, rejections = _convert(source, raw, registry)
    report.rejected = len(rejections)
    report.counts = dict(sorted(Counter(r.task_id for r in records).items()))
    for rejection in rejections[:20]:
        check = "raw-readable" if rejection.unreadable else "records-validate"
        report.add(Level.ERROR, check, f"{rejection.origin}: {rejection.reason}")
    if len(rejections) > 20:
        report.add(Level.ERROR, "records-validate", f"... and {len(rejections) - 20} more rejections")
    _check_tasks_produce(source, registry, records, report)
    _check_ids(source, raw, registry, records, report)
    by_task: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_task[record.task_id].append(record)
    for task_id, task_records in sorted(by_task.items()):
        if task_id in registry:
            _check_task_records(registry, task_id, task_records, report)
    _check_demonstrations(source, raw, by_task, report)
    if raw_dir is None:
        _check_damage(source, raw, registry, records, report)
    return report


#: Raw files the damage check leaves alone: compressed or binary containers.
_BINARY = (".xlsx", ".xls", ".zip", ".gz", ".bz2", ".xz", ".parquet", ".tar")


def _check_damage(source: Source, raw: Path, registry: Registry, records: list[Record], report: Report) -> None:
    """One bad byte in a raw file must never lose records silently.

    Each text file of the sample is copied with one invalid byte in the middle of
    a line; the conversion must not raise, and if it yields fewer records it must
    say so: an unreadable spot or a rejection naming the damaged file.
    """
    import shutil
    import tempfile

    files = [p for p in sorted(raw.rglob("*")) if p.is_file() and not p.name.lower().endswith(_BINARY)]
    for path in files:
        data = path.read_bytes()
        lines = data.split(b"\n")
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        if len(lines[longest]) < 2:
            continue
        middle = len(lines[longest]) // 2
        lines[longest] = lines[longest][:middle] + b"\xff" + lines[longest][middle + 1:]
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "raw"
            shutil.copytree(raw, copy)
            relative = path.relative_to(raw)
            (copy / relative).write_bytes(b"\n".join(lines))
            try:
                damaged, rejections = _convert(source, copy, registry)
            except Exception as exc:  # a converter that crashes on bad input is not ready
                report.add(Level.ERROR, "damage-reported", f"one bad byte in {relative} crashed the converter: {exc!r}")
                continue
        named = [r for r in rejections if r.origin.startswith((str(relative), path.name))]
        if len(damaged) < len(records) and not named:
            report.add(Level.ERROR, "damage-reported",
                       f"one bad byte in {relative} lost {len(records) - len(damaged)} record(s) silently "
                       "(pass the converter's report callback as on_error= to every reader)")


def _convert(source: Source, raw: Path, registry: Registry) -> tuple[list[Record], list[Rejection]]:
    records: list[Record] = []
    rejections: list[Rejection] = []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


def _check_manifest(source: Source, registry: Registry, report: Report, *, sample: bool) -> None:
    manifest = source.manifest
    if not manifest.license_known:
        report.add(
            Level.WARNING, "license-known",
            "license is NOASSERTION: the source is kept out of public releases until it is known",
        )
    placeholders = _placeholders(manifest)
    if placeholders:
        report.add(Level.WARNING, "manifest-filled",
                   f"still the new-source template's placeholder: {', '.join(placeholders)}")
    unknown = [t for t in manifest.tasks if t not in registry]
    if unknown:
        report.add(Level.ERROR, "tasks-registered", f"tasks not in the registry: {', '.join(unknown)}")
    if manifest.access is not AccessLevel.OPEN and not manifest.synthetic_sample:
        report.add(
            Level.ERROR, "synthetic-sample",
            f"access is {manifest.access.value}: the sample must be synthetic (set synthetic_sample = true "
            "and never ship real records)",
        )
    if not sample:
        return
    if not source.sample_dir.is_dir() or not any(source.sample_dir.rglob("*")):
        report.add(Level.ERROR, "sample-present", f"no sample files in {source.sample_dir}")
        return
    for raw_file in manifest.raw_files:
        if raw_file.required and not list(source.sample_dir.rglob(raw_file.pattern)):
            report.add(
                Level.ERROR, "sample-native-names",
                f"sample has no file matching {raw_file.pattern!r} (samples use the native file names)",
            )


#: Text the ``new-source`` template puts where a contributor must write the real value.
_TEMPLATE_MARKS = ("example.org", "(fill in", "Author, A. (Year)")


def _placeholders(manifest: SourceManifest) -> list[str]:
    """Manifest fields that still hold the template's placeholder text."""
    values = {"name": manifest.name, "homepage": str(manifest.homepage), "citation": manifest.citation,
              "license_url": str(manifest.license_url or "")}
    return [name for name, value in values.items() if any(mark in value for mark in _TEMPLATE_MARKS)]


def _check_tasks_produce(source: Source, registry: Registry, records: list[Record], report: Report) -> None:
    produced = {r.task_id for r in records}
    silent = [t for t in source.manifest.tasks if t not in produced]
    if not silent:
        return
    if source.manifest.native:
        report.add(Level.ERROR, "tasks-produce", f"declared tasks with no records: {', '.join(silent)}")
    else:
        # Task-file sources can build any task; their files decide which.
        report.add(Level.WARNING, "tasks-produce",
                   f"{len(silent)} of {len(source.manifest.tasks)} declared tasks have no file here")


def _check_ids(
    source: Source, raw: Path, registry: Registry, records: list[Record], report: Report
) -> None:
    ids = [r.id for r in records]
    index = IdentityIndex()
    for r in records:
        index.add(r.id, r.input, r.output)
    if index.groups():
        resolutions, collisions = index.resolve({int(g[0]): ids[int(g[0])] for g in index.groups()})
        # Different items under one id: the converter must make its raw ids unique.
        if collisions:
            clash = [f"{records[row].origin} and {records[first].origin}" for row, first in collisions]
            report.add(Level.ERROR, "ids-unique", f"{len(clash)} different items share a record id: {_examples(clash)}")
        repeats = [records[r].origin for r, res in resolutions.items() if res.fate == DUPLICATE]
        conflicts = [records[r].origin for r, res in resolutions.items() if res.fate == CONFLICT]
        if conflicts:
            report.add(Level.ERROR, "ids-unique", f"{len(conflicts)} records repeat a raw item with another gold "
                       f"(the build quarantines them as conflicts): {_examples(conflicts)}")
        if repeats:
            report.add(Level.WARNING, "ids-unique", f"{len(repeats)} raw items are repeated in the raw files "
                       f"(the build keeps the first as the record): {_examples(repeats)}")
    again, _ = _convert(source, raw, registry)
    if [r.id for r in again] != ids:
        report.add(Level.ERROR, "ids-deterministic", "a second conversion gave different ids or order")


def _check_task_records(registry: Registry, task_id: str, records: list[Record], report: Report) -> None:
    task = registry.get(task_id)
    check = f"{task_id}"
    # Languages must match the task card.
    bad_lang = sorted(
        {f"{r.input_language}->{r.output_language}" for r in records
         if r.input_language not in task.input_languages or r.output_language not in task.output_languages}
    )
    if bad_lang:
        report.add(Level.ERROR, f"{check} languages",
                   f"record languages {', '.join(bad_lang)} differ from the task's "
                   f"{task.input_languages}->{task.output_languages}")
    # Split must be one the task allows.
    allowed = {"both": {"train", "test"}}.get(task.split.value, {task.split.value})
    wrong_split = {r.split.value for r in records} - allowed
    if wrong_split:
        report.add(Level.ERROR, f"{check} split",
                   f"records in split {sorted(wrong_split)}; task split is {task.split.value}")
    # The same input twice in one task: contradictory outputs are an error, exact repeats a warning.
    outputs_by_input: dict[tuple[str, str], set[str]] = defaultdict(set)
    repeats = 0
    for r in records:
        key = (r.split.value, r.input)
        if r.output in outputs_by_input[key]:
            repeats += 1
        outputs_by_input[key].add(r.output)
    conflicting = [k[1][:60] for k, outs in outputs_by_input.items() if len(outs) > 1]
    if conflicting:
        report.add(Level.ERROR, f"{check} unique-inputs",
                   f"{len(conflicting)} inputs with different outputs (merge them): {_examples(conflicting)}")
    if repeats:
        report.add(Level.WARNING, f"{check} unique-inputs", f"{repeats} exact repeated input/output pairs")
    fmt = task.answer_format
    outputs = [r.output for r in records]
    if fmt is AnswerFormat.LABEL:
        _check_labels(task.labels, outputs, check, report)
    elif fmt is AnswerFormat.MCQA:
        # A question with several correct options (FrenchMedMCQA, IgakuQA) answers one option a line.
        bad = [r.raw_id for r in records if not r.options or not _options_answer(r.output, r.options)]
        if bad:
            report.add(Level.ERROR, f"{check} mcqa-answer", f"{len(bad)} answers not among options: {_examples(bad)}")
    elif fmt is AnswerFormat.ENTITIES:
        bad = [
            f"{r.raw_id}: {entity!r}"
            for r in records
            for entity in split_entities(r.output)
            if entity not in r.input
        ]
        if bad:
            report.add(Level.ERROR, f"{check} ner-in-input", f"{len(bad)} entities not in the input: {_examples(bad)}")


def _options_answer(output: str, options: list[str]) -> bool:
    """One option, or several distinct options one a line in their listed order."""
    lines = output.split("\n")
    positions = [options.index(line) if line in options else -1 for line in lines]
    return -1 not in positions and positions == sorted(set(positions))


def _check_labels(labels: list[str], outputs: list[str], check: str, report: Report) -> None:
    counts = Counter(outputs)
    if len(counts) < 2:
        report.add(Level.ERROR, f"{check} label-variety",
                   f"a classification task needs at least 2 distinct outputs, found {sorted(counts)}")
        return
    if labels:
        outside = sorted(set(counts) - set(labels))
        if outside:
            report.add(Level.ERROR, f"{check} label-set",
                       f"outputs outside the label set {labels}: {_examples(outside)}")
    total = sum(counts.values())
    entropy = -sum(n / total * math.log2(n / total) for n in counts.values())
    if total >= 20 and entropy < 0.5:
        report.add(Level.WARNING, f"{check} label-entropy",
                   f"label distribution is very skewed (entropy {entropy:.2f} bits): {dict(counts.most_common(3))}")


def _check_demonstrations(
    source: Source, raw: Path, by_task: dict[str, list[Record]], report: Report
) -> None:
    for task_id, examples in sorted(source.demonstrations(raw).items()):
        inputs = {r.input for r in by_task.get(task_id, [])}
        leaked = [inp[:60] for inp, _ in examples if inp in inputs]
        if leaked:
            report.add(Level.ERROR, f"{task_id} examples-not-instances",
                       f"{len(leaked)} few-shot examples are also instances: {_examples(leaked)}")
