"""The benchmark's references and how predictions are joined to them.

References come from a release (``medsins.load("bench", split="test")``: a
local folder, ``$MEDSINS_RELEASE`` or the Hub), a ``datasets.Dataset``, a list
of :class:`~medsins.records.Record` or dicts, or - for upstream CSV files that
carry their own ``GT`` column - from the predictions themselves (``"gt"``).
When no references are given, ``$MEDSINS_RELEASE`` is unset and every
prediction carries a GT value, the GT column is used too: such a file is
scored offline instead of waiting on the Hub.

A prediction is joined to a reference by record id when it has one, else by
task id and input (whitespace-normalised). Upstream CSV files hold the whole
prompt in ``input`` (few-shot examples, chat template), so when no input is
equal, the reference of the same task whose input occurs *last* in the prompt
is taken (its ``GT`` breaks ties). Every prediction ends matched, duplicate or
extra, and every reference matched or missing: nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsins.bench.extract import normalize_answer
from medsins.bench.predictions import Prediction
from medsins.errors import InputError, MedsinsError, UnknownNameError
from medsins.registry import BENCH_CONFIG, Registry

#: ``references=`` value meaning "use the GT column of the predictions".
FROM_GT = "gt"


@dataclass(frozen=True)
class Reference:
    """One benchmark test item: what a prediction is scored against."""

    id: str
    task_id: str
    input: str
    output: str
    options: tuple[str, ...] = ()
    output_language: str | None = None
    upstream: bool = False  # built from an upstream CSV's GT column


@dataclass
class References:
    """The references of the benchmark tasks, and a description of where they came from."""

    items: list[Reference]
    origin: str
    ignored: int = 0  # references of tasks that are not benchmark tasks
    #: Taken from the predictions' GT column because none were given (see :func:`carries_gt`).
    from_gt_by_default: bool = False

    def by_task(self) -> dict[str, list[Reference]]:
        """task id → references sorted by id (the order examples are scored and resampled in)."""
        grouped: dict[str, list[Reference]] = {}
        for ref in sorted(self.items, key=lambda r: r.id):
            grouped.setdefault(ref.task_id, []).append(ref)
        return grouped


def input_key(text: str) -> str:
    """Inputs compare equal when they differ only in whitespace."""
    return " ".join(text.split())


# ------------------------------------------------------------------ loading


def carries_gt(predictions: Sequence[Prediction]) -> bool:
    """True when every prediction has a task id, an input and a GT value (an upstream CSV's rows)."""
    return all(p.task_id is not None and p.input is not None and p.gt is not None for p in predictions) and any(
        p.gt and p.gt.strip() for p in predictions
    )


def load_references(
    references: Any, registry: Registry, predictions: Sequence[Prediction] = ()
) -> References:
    """Resolve ``references`` (see the module docstring) to benchmark references.

    ``None`` uses the predictions' ``GT`` column when every prediction carries
    one and ``$MEDSINS_RELEASE`` is unset (no network; ``from_gt_by_default``
    is then True), else loads the ``bench`` config's test split with
    :func:`medsins.load` (``$MEDSINS_RELEASE`` or the Hub); a string is a
    release folder if one exists at that path, else a config name; ``"gt"``
    builds the references from the predictions' ``GT`` column.
    """
    from medsins.load import RELEASE_ENV

    if isinstance(references, str) and references.casefold() == FROM_GT:
        return _from_gt(predictions, registry)
    if references is None and not os.environ.get(RELEASE_ENV) and carries_gt(predictions):
        refs = _from_gt(predictions, registry)
        refs.from_gt_by_default = True
        return refs
    if references is None or isinstance(references, str | Path):
        rows, origin = _load_release(references)
    elif hasattr(references, "column_names") and hasattr(references, "num_rows"):
        rows, origin = _dataset_rows(references), "datasets.Dataset"
    elif isinstance(references, Mapping) and "test" in references:  # DatasetDict
        rows, origin = _dataset_rows(references["test"]), "datasets.DatasetDict['test']"
    elif isinstance(references, Iterable):
        rows, origin = list(references), "a list of records"
    else:
        raise MedsinsError(f"cannot read references from a {type(references).__name__}")
    items: list[Reference] = []
    ignored = 0
    for index, row in enumerate(rows, start=1):
        ref = _reference(row, index, origin)
        if ref.task_id in registry and registry.get(ref.task_id).benchmark:
            items.append(ref)
        else:
            ignored += 1
    if not items:
        raise MedsinsError(f"no references of MedS-Bench tasks in {origin}")
    return References(items, origin, ignored)


def _load_release(references: str | Path | None) -> tuple[list[Any], str]:
    from medsins.load import RELEASE_ENV, load

    if references is not None and Path(references).is_dir():
        path = Path(references)
        return _dataset_rows(load(BENCH_CONFIG, split="test", path=path)), f"{path} ({BENCH_CONFIG} config, test split)"
    if references is not None and Path(references).exists():
        raise MedsinsError(f"references {references}: expected a release folder, a config name or {FROM_GT!r}")
    name = BENCH_CONFIG if references is None else str(references)
    try:
        dataset = load(name, split="test")
    except OSError as exc:  # the Hub is unreachable, or the repository/config does not exist
        raise MedsinsError(
            f"cannot load the references ({name!r} from ${RELEASE_ENV} or the Hub): {exc}; "
            f"give a release folder (--references DIR) or {FROM_GT!r} for a CSV with a GT column"
        ) from None
    return _dataset_rows(dataset), f"medsins.load({name!r}, split='test')"


def _dataset_rows(dataset: Any) -> list[dict[str, Any]]:
    columns = ("id", "task_id", "input", "output", "options", "output_language")
    wanted = [c for c in columns if c in dataset.column_names]
    return list(dataset.select_columns(wanted).to_list())


def _reference(row: Any, index: int, origin: str) -> Reference:
    get = row.get if isinstance(row, Mapping) else lambda key, default=None: getattr(row, key, default)
    missing = [key for key in ("id", "task_id", "input", "output") if not isinstance(get(key), str)]
    if missing:
        raise InputError(origin, f"reference {index}", f"missing {', '.join(missing)}")
    return Reference(
        id=get("id"),
        task_id=get("task_id"),
        input=get("input"),
        output=get("output"),
        options=tuple(get("options") or ()),
        output_language=get("output_language"),
    )


def _from_gt(predictions: Sequence[Prediction], registry: Registry) -> References:
    """One reference per distinct (task, input) among predictions that carry a GT value.

    Rows of tasks that are not benchmark tasks make no reference (the join reports them).
    """
    items: dict[tuple[str, str], Reference] = {}
    for pred in predictions:
        if pred.task_id is None or pred.input is None or pred.gt is None or not pred.gt.strip():
            continue
        if pred.task_id not in registry or not registry.get(pred.task_id).benchmark:
            continue
        key = (pred.task_id, input_key(pred.input))
        if key not in items:
            digest = hashlib.blake2b("\x1f".join(key).encode("utf-8"), digest_size=8).hexdigest()
            items[key] = Reference(f"{pred.task_id}-gt-{digest}", pred.task_id, pred.input, pred.gt, upstream=True)
    if not items:
        raise MedsinsError("references='gt' needs predictions with task_id, input and GT columns of MedS-Bench "
                           "tasks; no row had all three")
    return References(list(items.values()), "the GT column of the predictions")


# ------------------------------------------------------------------ joining


@dataclass
class Join:
    """One model's predictions against the references."""

    matched: dict[str, Prediction] = field(default_factory=dict)  # reference id → prediction
    extra: list[tuple[Prediction, str]] = field(default_factory=list)  # (prediction, why)
    duplicates: list[Prediction] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)


class Joiner:
    """Indexes the references once; joins any number of models' predictions."""

    def __init__(self, references: References, registry: Registry) -> None:
        self.registry = registry
        self.by_id = {ref.id: ref for ref in references.items}
        self.by_task = references.by_task()
        self.by_input: dict[tuple[str, str], list[Reference]] = {}
        for task_id, refs in self.by_task.items():
            for ref in refs:
                self.by_input.setdefault((task_id, input_key(ref.input)), []).append(ref)
        self._keys = {task_id: [(input_key(r.input), r) for r in refs] for task_id, refs in self.by_task.items()}

    def join(self, predictions: Iterable[Prediction]) -> Join:
        """Match each prediction to at most one reference (first one wins)."""
        result = Join()
        for pred in predictions:
            ref, why = self._find(pred, result)
            if ref is None:
                result.extra.append((pred, why))
                continue
            if ref.id in result.matched:
                first = result.matched[ref.id]
                result.duplicates.append(pred)
                result.problems.append(InputError(
                    pred.source, pred.where, f"second prediction for {ref.id} (first: {first.locate()}); ignored"
                ))
                continue
            result.matched[ref.id] = pred
        return result

    def _find(self, pred: Prediction, result: Join) -> tuple[Reference | None, str]:
        if pred.id is not None and pred.id in self.by_id:
            return self.by_id[pred.id], ""
        if pred.task_id is None or pred.input is None:
            return None, f"unknown record id {pred.id!r}"
        if pred.task_id not in self.registry:
            error = UnknownNameError("task", pred.task_id, [t.id for t in self.registry])
            result.problems.append(InputError(pred.source, pred.where, f"{error}; row not scored"))
            return None, f"unknown task {pred.task_id!r}"
        if not self.registry.get(pred.task_id).benchmark:
            result.problems.append(InputError(
                pred.source, pred.where, f"{pred.task_id} is not a MedS-Bench task; row not scored"
            ))
            return None, f"{pred.task_id} is not a benchmark task"
        if pred.task_id not in self.by_task:
            return None, f"the references have no {pred.task_id} items"
        key = input_key(pred.input)
        exact = self.by_input.get((pred.task_id, key), [])
        if exact:
            return self._prefer_gt(exact, pred, result), ""
        return self._in_prompt(pred, key)

    def _prefer_gt(self, candidates: list[Reference], pred: Prediction, result: Join) -> Reference:
        """Among equal inputs, the unmatched reference whose output equals the GT, else the first."""
        ordered = [r for r in candidates if r.id not in result.matched] or candidates
        if pred.gt is not None:
            gt = normalize_answer(pred.gt)
            same = [r for r in ordered if normalize_answer(r.output) == gt]
            if same:
                return same[0]
        return ordered[0]

    def _in_prompt(self, pred: Prediction, key: str) -> tuple[Reference | None, str]:
        """The reference whose input ends last inside the prediction's prompt."""
        best: tuple[bool, int, int] | None = None
        chosen: Reference | None = None
        gt = normalize_answer(pred.gt) if pred.gt is not None else None
        for ref_key, ref in self._keys[pred.task_id]:
            if not ref_key:
                continue
            at = key.rfind(ref_key)
            if at < 0:
                continue
            # rank: GT agrees, ends latest, longest input
            rank = (gt is not None and normalize_answer(ref.output) == gt, at + len(ref_key), len(ref_key))
            if best is None or rank > best:
                best, chosen = rank, ref
        if chosen is None:
            return None, f"no {pred.task_id} reference has this input"
        return chosen, ""
