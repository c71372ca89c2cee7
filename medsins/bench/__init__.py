"""MedS-Bench scoring: ``medsins.bench.score(...)`` and ``medsins bench score``.

Example:
    >>> from medsins.bench import score
    >>> report = score(["gpt4.csv", "llama.jsonl"], references="release/")   # doctest: +SKIP
    >>> print(report.to_markdown())                                          # doctest: +SKIP

The metric of each task and the exact variant of every number are described in
:mod:`medsins.bench.metrics`; answer extraction in :mod:`medsins.bench.extract`;
accepted prediction files in :mod:`medsins.bench.predictions`; reference
sources and the join in :mod:`medsins.bench.references`; the bootstrap and the
report in :mod:`medsins.bench.report`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsins.bench.metrics import HEADLINE, METRICS, Item, score_items, task_kind
from medsins.bench.predictions import Prediction, PredictionSet, read_predictions
from medsins.bench.references import FROM_GT, Joiner, Reference, References, load_references
from medsins.bench.report import (
    SHOWN,
    BenchReport,
    CategoryScore,
    Comparison,
    ModelCounts,
    Problem,
    TaskResult,
    column_order,
    interval,
)
from medsins.bench.report import bootstrap as resample
from medsins.errors import InputError, InputNote, MedsinsError

if TYPE_CHECKING:
    import numpy as np

    from medsins.registry import Registry

__all__ = ["FROM_GT", "BenchReport", "pairs", "score"]


def score(
    predictions: Any,
    references: Any = None,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    registry: Registry | None = None,
    notify: Callable[[str], None] | None = None,
) -> BenchReport:
    """Score model predictions on MedS-Bench.

    Args:
        predictions: one source or several. A source is a path (CSV/TSV, JSONL,
            JSON), a ``datasets.Dataset`` or a list of dicts; ``(name, source)``
            pairs or a ``{name: source or [sources]}`` mapping name the model.
            The model of a row is its ``model`` column, else the given name,
            else the file stem; sources of the same model are merged.
        references: a release folder, a config name, a ``datasets.Dataset``, a
            list of records or dicts, or ``"gt"`` (the predictions' GT column);
            ``None``: the GT column when every row carries one (and
            ``$MEDSINS_RELEASE`` is unset), else ``medsins.load("bench", split="test")``.
        bootstrap: bootstrap replicates for the 95% CIs (0: none).
        seed: bootstrap seed (same seed, same intervals).
        registry: task registry (default: built-in plus plugin tasks).
        notify: receives one line saying where the references came from when
            that was not asked for (default: the ``medsins.bench`` logger, INFO).

    Returns:
        The :class:`~medsins.bench.report.BenchReport` (leaderboard, per task,
        counts, problems). Bad rows and files are reported in it, not raised.

    Raises:
        MedsinsError: nothing at all could be scored (the message lists why),
            or the references cannot be loaded.
    """
    if registry is None:
        from medsins.plugins import catalog

        registry = catalog().registry
    sets = [read_predictions(source, model=name) for name, source in _sources(predictions)]
    problems = [_problem(p) for s in sets for p in s.problems]
    everything = [p for s in sets for p in s.predictions]
    if not everything:
        raise MedsinsError("nothing to score: " + _why(problems))
    refs = load_references(references, registry, everything)
    if refs.from_gt_by_default:
        (notify or logging.getLogger(__name__).info)(
            "no references given and every row carries a GT column: scoring offline against it "
            "(give references, e.g. --references RELEASE_DIR, to score against a release)"
        )
    joiner = Joiner(refs, registry)
    by_task = refs.by_task()
    task_order = sorted(by_task, key=lambda t: registry.get(t).number)
    counts: list[ModelCounts] = []
    results: list[TaskResult] = []
    categories: list[CategoryScore] = []
    per_model: dict[str, tuple[list[TaskResult], dict[str, dict[str, np.ndarray]]]] = {}
    for model, preds in _by_model(sets).items():
        join = joiner.join(preds)
        problems += [_problem(p) for p in join.problems]
        predicted_tasks = {joiner.by_id[ref_id].task_id for ref_id in join.matched}
        model_results, replicates = [], {}
        missing_ids: list[str] = []
        for task_id in task_order:
            if task_id not in predicted_tasks:
                continue
            result, reps, missing = _score_task(model, task_id, by_task[task_id], join.matched, registry,
                                                bootstrap, seed)
            model_results.append(result)
            replicates[task_id] = reps
            missing_ids += missing
        categories += _categories(model, model_results, replicates, by_task, registry)
        per_model[model] = (model_results, replicates)
        results += model_results
        counts.append(ModelCounts(
            model=model,
            sources=sorted({p.source for p in preds}),
            rows=len(preds),
            matched=len(join.matched),
            missing=len(missing_ids),
            extra=len(join.extra),
            duplicates=len(join.duplicates),
            empty=sum(p.empty for p in join.matched.values()),
            unparseable=sum(r.unparseable for r in model_results),
            tasks_scored=len(model_results),
            missing_ids=sorted(missing_ids)[:SHOWN],
            extra_rows=[f"{p.locate()} ({why})" for p, why in join.extra[:SHOWN]],
            tasks_without_predictions=[t for t in task_order if t not in predicted_tasks],
        ))
    if not results:
        raise MedsinsError("nothing could be scored: no prediction matched a reference of " + refs.origin
                           + ("; " + _why(problems) if problems else ""))
    return BenchReport(counts, categories, results, problems, _describe(refs), bootstrap, seed,
                       _compare(per_model, registry))


def _compare(
    per_model: dict[str, tuple[list[TaskResult], dict[str, dict[str, np.ndarray]]]], registry: Registry
) -> list[Comparison]:
    """Paired differences of every pair of models per leaderboard cell (see :class:`Comparison`).

    Paired because :func:`~medsins.bench.report.bootstrap` seeds a task's resampling by the
    seed and the task number only: both models' replicate ``i`` weights the same items.
    """
    import numpy as np

    models = list(per_model)
    comparisons = []
    for index, a in enumerate(models):
        for b in models[index + 1:]:
            results_a = {r.task_id: r for r in per_model[a][0]}
            results_b = {r.task_id: r for r in per_model[b][0]}
            cells: dict[tuple[str, str], list[str]] = {}
            for task_id in results_a.keys() & results_b.keys():
                for metric in HEADLINE[task_kind(registry.get(task_id))]:
                    cells.setdefault((results_a[task_id].category, metric), []).append(task_id)
            for (category, metric), tasks in sorted(cells.items(), key=lambda c: column_order(*c[0])):
                tasks.sort(key=lambda t: registry.get(t).number)
                difference = float(np.mean([results_a[t].scores[metric] - results_b[t].scores[metric]
                                            for t in tasks]))
                reps = [per_model[a][1][t][metric] - per_model[b][1][t][metric] for t in tasks]
                mean_reps = np.mean(np.vstack(reps), axis=0) if reps and reps[0].size else np.zeros(0)
                comparisons.append(Comparison(a, b, category, metric, difference, interval(mean_reps), tasks))
    return comparisons


def pairs(
    predictions: Any,
    references: Any = None,
    *,
    registry: Registry | None = None,
) -> dict[str, dict[str, list[tuple[str | None, str]]]]:
    """``{model: {task id: [(prediction or None when missing, reference output)]}}``, joined as :func:`score` joins.

    The input of the upstream metrics (:mod:`medsins.bench.upstream`) and of paired comparisons.
    """
    if registry is None:
        from medsins.plugins import catalog

        registry = catalog().registry
    sets = [read_predictions(source, model=name) for name, source in _sources(predictions)]
    everything = [p for s in sets for p in s.predictions]
    if not everything:
        raise MedsinsError("nothing to score: " + _why([_problem(p) for s in sets for p in s.problems]))
    refs = load_references(references, registry, everything)
    joiner = Joiner(refs, registry)
    by_task = refs.by_task()
    out: dict[str, dict[str, list[tuple[str | None, str]]]] = {}
    for model, preds in _by_model(sets).items():
        join = joiner.join(preds)
        predicted = {joiner.by_id[ref_id].task_id for ref_id in join.matched}
        tasks = out.setdefault(model, {})
        for task_id in sorted(predicted, key=lambda t: registry.get(t).number):
            tasks[task_id] = [((join.matched[r.id].prediction if r.id in join.matched else None), r.output)
                              for r in by_task[task_id]]
    return out


def _score_task(
    model: str,
    task_id: str,
    refs: list[Reference],
    matched: dict[str, Prediction],
    registry: Registry,
    replicates: int,
    seed: int,
) -> tuple[TaskResult, dict[str, np.ndarray], list[str]]:
    task = registry.get(task_id)
    kind = task_kind(task)
    language = task.output_languages[0]
    items, missing, empty = [], [], 0
    for ref in refs:
        pred = matched.get(ref.id)
        if pred is None:
            missing.append(ref.id)
        empty += pred is not None and pred.empty
        text = pred.prediction if pred is not None and not pred.empty else None
        items.append(Item(ref.output, text, ref.options, ref.upstream))
    stats = score_items(kind, items, task.labels, language)
    reps = resample(stats, replicates, seed, task.number)
    result = TaskResult(
        model=model,
        task_id=task_id,
        category=task.benchmark or "",
        kind=kind.value,
        language=language,
        references=len(refs),
        predicted=len(refs) - len(missing),
        missing=len(missing),
        empty=empty,
        unparseable=stats.unparseable,
        scores=stats.scores(),
        ci={name: interval(reps[name]) for name in METRICS[kind]},
    )
    return result, reps, missing


def _categories(
    model: str,
    results: list[TaskResult],
    replicates: dict[str, dict[str, np.ndarray]],
    by_task: dict[str, list[Reference]],
    registry: Registry,
) -> list[CategoryScore]:
    """Macro average per (category, headline metric) over the model's predicted tasks."""
    import numpy as np

    cells: dict[tuple[str, str], list[TaskResult]] = {}
    for result in results:
        for metric in HEADLINE[task_kind(registry.get(result.task_id))]:
            cells.setdefault((result.category, metric), []).append(result)
    scores = []
    for (category, metric), members in cells.items():
        in_refs = [t for t in by_task if registry.get(t).benchmark == category
                   and metric in HEADLINE[task_kind(registry.get(t))]]
        reps = [replicates[r.task_id][metric] for r in members]
        mean_reps = np.mean(np.vstack(reps), axis=0) if reps and reps[0].size else np.zeros(0)
        scores.append(CategoryScore(
            model=model,
            category=category,
            metric=metric,
            score=float(np.mean([r.scores[metric] for r in members])),
            ci=interval(mean_reps),
            tasks=[r.task_id for r in members],
            tasks_in_references=len(in_refs),
        ))
    return scores


def _sources(predictions: Any) -> list[tuple[str | None, Any]]:
    """Normalise the ``predictions`` argument to ``(model name or None, source)`` pairs."""
    if isinstance(predictions, str | Path) or _is_dataset(predictions):
        return [(None, predictions)]
    if isinstance(predictions, Mapping):
        pairs = []
        for name, value in predictions.items():
            values = value if isinstance(value, list | tuple) and not _rows(value) else [value]
            pairs += [(str(name), v) for v in values]
        return pairs
    if isinstance(predictions, Iterable):
        items = list(predictions)
        if _rows(items):
            return [(None, items)]
        pairs = []
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str | None):
                pairs.append((item[0], item[1]))
            else:
                pairs.append((None, item))
        return pairs
    raise MedsinsError(f"cannot read predictions from a {type(predictions).__name__}")


def _rows(items: Any) -> bool:
    return bool(items) and all(isinstance(i, Mapping) for i in items)


def _is_dataset(value: Any) -> bool:
    return hasattr(value, "column_names") and hasattr(value, "num_rows")


def _by_model(sets: list[PredictionSet]) -> dict[str, list[Prediction]]:
    models: dict[str, list[Prediction]] = {}
    for prediction_set in sets:
        for pred in prediction_set.predictions:
            models.setdefault(pred.model, []).append(pred)
    return models


def _problem(error: InputError) -> Problem:
    return Problem(error.path or "<input>", error.where, error.problem, rejected=not isinstance(error, InputNote))


def _why(problems: list[Problem]) -> str:
    shown = "; ".join(str(p) for p in problems[:3])
    more = f" (and {len(problems) - 3} more problems)" if len(problems) > 3 else ""
    return (shown + more) if shown else "no predictions were given"


def _describe(refs: References) -> str:
    text = f"{refs.origin} ({len(refs.items)} items of {len(refs.by_task())} benchmark tasks"
    if refs.ignored:
        text += f"; {refs.ignored} items of other tasks ignored"
    return text + ")"
