"""The scored benchmark: leaderboard, per-task breakdown, counts, bootstrap CIs.

Confidence intervals are 95% percentile-bootstrap intervals. A replicate
resamples each task's examples with replacement (``n`` draws out of ``n``,
drawn as one multinomial weight vector per replicate, so the whole bootstrap
is a matrix product of weights and per-example statistics), recomputes every
task score from the resampled statistics, and averages the tasks of a
category. The generator of a task is seeded by ``(seed, task number)``: the
same seed gives the same intervals, and two models scored on the same
references are resampled identically (paired), whatever else is scored.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medsins.bench.metrics import HEADLINE, METRICS, TITLES, VARIANTS, Kind, TaskStats, aggregate

#: Benchmark categories in report order (the issue's order); others follow alphabetically.
CATEGORY_ORDER = (
    "mcqa", "summarization", "ie", "explanation", "rationale", "ner", "diagnosis",
    "treatment", "outcome", "classification", "fact_verification", "nli",
)

#: Replicates drawn per block (bounds memory to block x examples weights).
_BLOCK = 100

#: How many ids / rows a report lists before "... and N more".
SHOWN = 5


def bootstrap(stats: TaskStats, replicates: int, seed: int, stream: int) -> dict[str, np.ndarray]:
    """Metric → ``replicates`` resampled values of one task (empty arrays when 0).

    ``stream`` (the task number) and ``seed`` seed the generator.
    """
    if replicates <= 0 or stats.size == 0:
        return {name: np.zeros(0) for name in METRICS[stats.kind]}
    rng = np.random.default_rng([seed, stream])
    n = stats.size
    pvals = np.full(n, 1.0 / n)
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, replicates, _BLOCK):
        weights = rng.multinomial(n, pvals, size=min(_BLOCK, replicates - start))
        parts.append(aggregate(stats.kind, weights @ stats.stats, n, stats.language))
    return {name: np.concatenate([part[name] for part in parts]) for name in METRICS[stats.kind]}


def interval(values: np.ndarray) -> tuple[float, float] | None:
    """The 95% percentile interval of bootstrap values (``None`` without values)."""
    if values.size == 0:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


@dataclass
class TaskResult:
    """One model's score on one task."""

    model: str
    task_id: str
    category: str
    kind: str
    language: str
    references: int
    predicted: int
    missing: int
    empty: int
    unparseable: int
    scores: dict[str, float]
    ci: dict[str, tuple[float, float] | None] = field(default_factory=dict)


@dataclass
class CategoryScore:
    """A leaderboard cell: a category's metric, macro-averaged over its predicted tasks."""

    model: str
    category: str
    metric: str
    score: float
    ci: tuple[float, float] | None
    tasks: list[str]
    tasks_in_references: int

    @property
    def column(self) -> str:
        """The leaderboard column title, e.g. ``mcqa acc``."""
        return column_title(self.category, self.metric)


@dataclass
class ModelCounts:
    """How a model's predictions met the references."""

    model: str
    sources: list[str]
    rows: int
    matched: int
    missing: int
    extra: int
    duplicates: int
    empty: int
    unparseable: int
    tasks_scored: int
    missing_ids: list[str] = field(default_factory=list)
    extra_rows: list[str] = field(default_factory=list)
    tasks_without_predictions: list[str] = field(default_factory=list)


@dataclass
class Problem:
    """A bad input row or file, reported and skipped (or scored as wrong)."""

    source: str
    where: str | None
    problem: str
    #: False for a note on an input still used whole (an empty answer, a re-decoded file).
    rejected: bool = True

    def __str__(self) -> str:
        head = f"{self.source}, {self.where}" if self.where else self.source
        return f"{head}: {self.problem}"


@dataclass
class Comparison:
    """Paired difference ``model_a - model_b`` of a leaderboard cell, over the tasks both predicted.

    The CI is a paired bootstrap: both models' replicates of a task use the same
    resampled items (the generator is seeded by the seed and the task number), so
    the difference is resampled item by item, then averaged over the tasks.
    """

    model_a: str
    model_b: str
    category: str
    metric: str
    difference: float
    ci: tuple[float, float] | None
    tasks: list[str]

    @property
    def column(self) -> str:
        """The leaderboard column title, e.g. ``ner F1``."""
        return column_title(self.category, self.metric)


@dataclass
class BenchReport:
    """Everything ``medsins bench score`` prints or writes."""

    models: list[ModelCounts]
    categories: list[CategoryScore]
    tasks: list[TaskResult]
    problems: list[Problem]
    references: str
    bootstrap: int
    seed: int
    comparisons: list[Comparison] = field(default_factory=list)

    # ----------------------------------------------------------- tables

    def columns(self) -> list[tuple[str, str]]:
        """The leaderboard's (category, metric) columns, in report order."""
        seen = {(c.category, c.metric) for c in self.categories}
        return sorted(seen, key=lambda cm: (_category_rank(cm[0]), _metric_rank(cm[1])))

    def cell(self, model: str, category: str, metric: str) -> CategoryScore | None:
        """The leaderboard cell of ``model`` (``None`` if it predicted no task there)."""
        for score in self.categories:
            if (score.model, score.category, score.metric) == (model, category, metric):
                return score
        return None

    def leaderboard(self) -> list[dict[str, Any]]:
        """One dict per model: ``model`` and, per column, score / CI low / CI high / tasks."""
        rows = []
        for counts in self.models:
            row: dict[str, Any] = {"model": counts.model}
            for category, metric in self.columns():
                cell = self.cell(counts.model, category, metric)
                title = column_title(category, metric)
                row[title] = _round(cell.score) if cell else None
                row[f"{title} ci_low"] = _round(cell.ci[0]) if cell and cell.ci else None
                row[f"{title} ci_high"] = _round(cell.ci[1]) if cell and cell.ci else None
                row[f"{title} tasks"] = f"{len(cell.tasks)}/{cell.tasks_in_references}" if cell else None
            rows.append(row)
        return rows

    # ----------------------------------------------------------- formats

    def to_markdown(self) -> str:
        """The report as Markdown: leaderboard, per-task scores, counts, problems, metric variants."""
        out = ["## MedS-Bench scores", ""]
        ci = (
            f"95% bootstrap CI over {self.bootstrap} resamples (seed {self.seed}) in brackets"
            if self.bootstrap > 0 else "no bootstrap"
        )
        out += [f"References: {self.references}. Scores 0-100; {ci}; "
                "a category is the mean of its predicted tasks (n/m shown when not all were predicted).", ""]
        columns = self.columns()
        header = ["model", *(column_title(c, m) for c, m in columns)]
        body = []
        for counts in self.models:
            cells = [counts.model]
            for category, metric in columns:
                cell = self.cell(counts.model, category, metric)
                cells.append(_format_cell(cell) if cell else "-")
            body.append(cells)
        out += _md_table(header, body)
        if self.comparisons:
            out += ["", "### Paired comparison", "",
                    "Difference A - B on the items both were scored on; paired bootstrap 95% CI "
                    "(same resampled items for both models).", ""]
            out += _md_table(
                ["A", "B", "column", "A - B", "95% CI", "CI excludes 0", "tasks"],
                [[c.model_a, c.model_b, c.column, _fmt(c.difference),
                  f"[{_fmt(c.ci[0])}, {_fmt(c.ci[1])}]" if c.ci else "-",
                  ("yes" if c.ci[0] > 0 or c.ci[1] < 0 else "no") if c.ci else "-", str(len(c.tasks))]
                 for c in self.comparisons],
            )
        out += ["", "### Per task", ""]
        task_rows = []
        for t in self.tasks:
            shown = ", ".join(
                f"{TITLES[name]} {_fmt(t.scores[name])}" + (f" [{_fmt(t.ci[name][0])}, {_fmt(t.ci[name][1])}]"
                                                           if t.ci.get(name) else "")
                for name in METRICS[Kind(t.kind)]
            )
            task_rows.append([t.model, t.task_id, t.category, t.kind, t.language, str(t.references),
                              str(t.predicted), str(t.missing), str(t.empty), str(t.unparseable), shown])
        out += _md_table(
            ["model", "task", "category", "kind", "lang", "refs", "predicted", "missing", "empty", "unparseable",
             "scores"],
            task_rows,
        )
        out += ["", "### Counts", ""]
        out += _md_table(
            ["model", "rows", "matched", "missing", "extra", "duplicates", "empty", "unparseable", "tasks scored"],
            [[c.model, str(c.rows), str(c.matched), str(c.missing), str(c.extra), str(c.duplicates), str(c.empty),
              str(c.unparseable), str(c.tasks_scored)] for c in self.models],
        )
        for c in self.models:
            if c.missing_ids:
                out.append(f"- {c.model}: missing predictions for {_listing(c.missing_ids, c.missing)}")
            if c.extra_rows:
                out.append(f"- {c.model}: predictions without a reference: {_listing(c.extra_rows, c.extra)}")
            if c.tasks_without_predictions:
                out.append(f"- {c.model}: not scored (no predictions): {', '.join(c.tasks_without_predictions)}")
        if self.problems:
            out += ["", f"### Problems in the input ({len(self.problems)})", ""]
            out += [f"- {p}" for p in self.problems[:20]]
            if len(self.problems) > 20:
                out.append(f"- ... and {len(self.problems) - 20} more (all of them in the JSON report)")
        out += ["", "### Metrics", ""]
        used = {m for _, m in columns} | {m for t in self.tasks for m in METRICS[Kind(t.kind)]}
        out += [f"- {TITLES[m]}: {VARIANTS[m]}" for m in sorted(used, key=_metric_rank)]
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the whole report."""
        return {
            "references": self.references,
            "bootstrap": {"replicates": self.bootstrap, "seed": self.seed, "interval": "95% percentile"},
            "metrics": {m: VARIANTS[m] for m in VARIANTS},
            "leaderboard": self.leaderboard(),
            "categories": [
                {**asdict(c), "ci": list(c.ci) if c.ci else None, "score": _round(c.score)} for c in self.categories
            ],
            "tasks": [
                {**asdict(t), "scores": {k: _round(v) for k, v in t.scores.items()},
                 "ci": {k: [_round(v[0]), _round(v[1])] if v else None for k, v in t.ci.items()}}
                for t in self.tasks
            ],
            "counts": [asdict(c) for c in self.models],
            "problems": [asdict(p) for p in self.problems],
            "comparisons": [
                {**asdict(c), "difference": _round(c.difference),
                 "ci": [_round(c.ci[0]), _round(c.ci[1])] if c.ci else None} for c in self.comparisons
            ],
        }

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_csv(self) -> dict[str, str]:
        """CSV text per table: ``leaderboard``, ``tasks``, ``counts``, ``problems``."""
        task_metrics = sorted({m for t in self.tasks for m in t.scores}, key=_metric_rank)
        tasks = [
            {"model": t.model, "task_id": t.task_id, "category": t.category, "kind": t.kind,
             "language": t.language, "references": t.references, "predicted": t.predicted, "missing": t.missing,
             "empty": t.empty, "unparseable": t.unparseable,
             **{m: _round(t.scores[m]) if m in t.scores else None for m in task_metrics},
             **{f"{m} ci_low": _round(t.ci[m][0]) if t.ci.get(m) else None for m in task_metrics},
             **{f"{m} ci_high": _round(t.ci[m][1]) if t.ci.get(m) else None for m in task_metrics}}
            for t in self.tasks
        ]
        counts = [{**asdict(c), "sources": " ".join(c.sources), "missing_ids": " ".join(c.missing_ids),
                   "extra_rows": " | ".join(c.extra_rows),
                   "tasks_without_predictions": " ".join(c.tasks_without_predictions)} for c in self.models]
        return {
            "leaderboard": _csv(self.leaderboard()),
            "tasks": _csv(tasks),
            "counts": _csv(counts),
            "problems": _csv([asdict(p) for p in self.problems], ["source", "where", "problem", "rejected"]),
        }

    def write(self, folder: Path) -> list[Path]:
        """Write ``report.md``, ``report.json`` and the CSV tables into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        written = {"report.md": self.to_markdown(), "report.json": self.to_json()}
        written.update({f"{name}.csv": text for name, text in self.to_csv().items()})
        paths = []
        for name, text in written.items():
            path = folder / name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        return paths


# ------------------------------------------------------------------ helpers


def column_title(category: str, metric: str) -> str:
    """``mcqa acc``, ``summarization ROUGE-L``."""
    return f"{category} {TITLES[metric]}"


def column_order(category: str, metric: str) -> tuple[tuple[int, str], int]:
    """Sort key of a leaderboard column (the report's category order, then the metric's)."""
    return _category_rank(category), _metric_rank(metric)


def _category_rank(category: str) -> tuple[int, str]:
    return (CATEGORY_ORDER.index(category), "") if category in CATEGORY_ORDER else (len(CATEGORY_ORDER), category)


def _metric_rank(metric: str) -> int:
    order = [m for kind in Kind for m in (*HEADLINE[kind], *METRICS[kind])]
    return order.index(metric)


def _round(value: float) -> float:
    return round(float(value), 4)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _format_cell(cell: CategoryScore) -> str:
    text = _fmt(cell.score)
    if cell.ci:
        text += f" [{_fmt(cell.ci[0])}, {_fmt(cell.ci[1])}]"
    if len(cell.tasks) != cell.tasks_in_references:
        text += f" ({len(cell.tasks)}/{cell.tasks_in_references})"
    return text


def _listing(shown: list[str], total: int) -> str:
    more = f" ... and {total - len(shown)} more" if total > len(shown) else ""
    return f"{total}: " + ", ".join(shown) + more


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return [line(header), "|" + "|".join("---" for _ in header) + "|", *(line(r) for r in rows)]


def _csv(rows: list[dict[str, Any]], fields: list[str] | None = None) -> str:
    buffer = io.StringIO()
    names = fields or (list(rows[0]) if rows else [])
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
