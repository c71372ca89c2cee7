"""MedS-Bench metrics: what each number in a ``medsins bench`` report is.

Every task is scored by one *kind* of metric, chosen from its card
(:func:`task_kind`); every score is on a 0–100 scale.

=============  ===========================================  =====================================
kind           tasks (MedS-Bench category)                  numbers reported
=============  ===========================================  =====================================
``choice``     ``answer_format = "mcqa"``: task57–61, 122,  **accuracy**: the set of option
               129 (mcqa)                                   letters read from the prediction
                                                            (:func:`~medsins.bench.extract.
                                                            extract_choices`) equals the
                                                            reference's set (multi-answer
                                                            FrenchMedMCQA: exact set match)
``label``      ``answer_format = "label"``: task123 (mcqa,  **accuracy**: the label read from the
               yes/no/maybe), 12, 16 (fact_verification),  prediction (:func:`~medsins.bench.
               41 (nli), 117–119 (outcome), 130             extract.extract_label`, closed label
               (diagnosis), 131 (treatment)                 set of the task card) equals the
                                                            reference label
``exact``      free-text answers of ie / diagnosis /        **accuracy**: exact match after
               treatment / outcome: task1–3, 29, 74         :func:`~medsins.bench.extract.
                                                            normalize_answer` (NFKC, casefold,
                                                            quotes removed, whitespace collapsed,
                                                            punctuation stripped at the ends)
``entities``   ``answer_format = "entities"``: task125–128  **entity F1** (also precision and
               (ner)                                        recall): micro-averaged over the
                                                            task's examples on sets of normalised
                                                            entity strings; "no entity" answers
                                                            are the empty set
``multilabel`` task106 (classification)                     **label F1** (also precision and
                                                            recall): micro-averaged over the
                                                            task's examples on sets of labels
                                                            (comma/semicolon/newline separated)
``generation`` everything else: summarization,              **BLEU**: corpus-level BLEU-4 of
               explanation, rationale, task100              sacrebleu (``BLEU()`` defaults: up to
               (fact_verification), task42 (nli)            4-grams, brevity penalty, ``exp``
                                                            smoothing, case-sensitive, one
                                                            reference) with ``tokenize="13a"``
                                                            for space-separated languages,
                                                            ``"zh"`` for Chinese (each Han
                                                            character a token) and ``"char"`` for
                                                            Japanese (each character a token; no
                                                            MeCab dependency). **ROUGE-1/2/L**:
                                                            F1 of rouge-score's ``rouge1``,
                                                            ``rouge2``, ``rougeL`` (not
                                                            ``rougeLsum``), no stemming, with
                                                            :class:`RougeTokenizer` (casefolded
                                                            words; every CJK character a token),
                                                            averaged over examples
=============  ===========================================  =====================================

Precision, recall and F1 from counts: P = tp/(tp+fp), R = tp/(tp+fn),
F1 = 2tp/(2tp+fp+fn), each 0 when its denominator is 0, and all three 100 when
there is nothing to find and nothing was predicted (tp = fp = fn = 0).

A reference without a prediction is scored as an empty prediction (wrong). The
headline numbers of a kind (:data:`HEADLINE`) are the leaderboard columns; a
category's score is the unweighted mean over its tasks that were predicted.

Every kind reduces an example to a row of additive statistics (correct; tp/fp/fn;
BLEU's n-gram counts and lengths plus the example's ROUGE F1), so a task's
score is a function of column sums. That is what makes the bootstrap cheap:
a resample is a weight vector over examples (:mod:`medsins.bench.report`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from medsins.bench.extract import (
    extract_choices,
    extract_label,
    normalize_answer,
    predicted_entities,
    reference_entities,
    split_labels,
)
from medsins.records import AnswerFormat, Task

if TYPE_CHECKING:
    from sacrebleu.metrics.bleu import BLEU


class Kind(StrEnum):
    """How a task is scored (see the module docstring)."""

    CHOICE = "choice"
    LABEL = "label"
    EXACT = "exact"
    ENTITIES = "entities"
    MULTILABEL = "multilabel"
    GENERATION = "generation"


#: Categories whose free-text answers are scored by exact match.
EXACT_CATEGORIES = frozenset({"ie", "diagnosis", "treatment", "outcome"})

#: The metrics of each kind, in report order.
METRICS: dict[Kind, tuple[str, ...]] = {
    Kind.CHOICE: ("accuracy",),
    Kind.LABEL: ("accuracy",),
    Kind.EXACT: ("accuracy",),
    Kind.ENTITIES: ("f1", "precision", "recall"),
    Kind.MULTILABEL: ("f1", "precision", "recall"),
    Kind.GENERATION: ("bleu", "rougeL", "rouge1", "rouge2"),
}

#: The leaderboard metrics of each kind (a category gets one column per metric).
HEADLINE: dict[Kind, tuple[str, ...]] = {
    Kind.CHOICE: ("accuracy",),
    Kind.LABEL: ("accuracy",),
    Kind.EXACT: ("accuracy",),
    Kind.ENTITIES: ("f1",),
    Kind.MULTILABEL: ("f1",),
    Kind.GENERATION: ("bleu", "rougeL"),
}

#: Short column titles.
TITLES = {
    "accuracy": "acc",
    "f1": "F1",
    "precision": "P",
    "recall": "R",
    "bleu": "BLEU",
    "rougeL": "ROUGE-L",
    "rouge1": "ROUGE-1",
    "rouge2": "ROUGE-2",
}

#: What each metric is, exactly (printed in reports).
VARIANTS = {
    "accuracy": "accuracy (%) of the answer read from the prediction: option-letter set (mcqa), "
    "closed-set label, or normalised exact match (free-text ie/diagnosis/treatment/outcome)",
    "f1": "micro F1 (%) over the task's examples: normalised entity sets (ner) "
    "or label sets (classification)",
    "precision": "micro precision (%), as f1",
    "recall": "micro recall (%), as f1",
    "bleu": "corpus-level BLEU-4 (sacrebleu defaults, exp smoothing, case-sensitive, 1 reference); "
    "tokenize=13a, zh for Chinese, char for Japanese",
    "rougeL": "ROUGE-L F1 (%) from rouge-score (rougeL, no stemming, CJK characters as tokens), "
    "mean over examples",
    "rouge1": "ROUGE-1 F1 (%), as rougeL",
    "rouge2": "ROUGE-2 F1 (%), as rougeL",
}

#: sacrebleu tokenizer per output language (anything else: 13a).
BLEU_TOKENIZERS = {"zh": "zh", "ja": "char"}


def task_kind(task: Task) -> Kind:
    """How ``task`` is scored, from its answer format and benchmark category."""
    if task.answer_format is AnswerFormat.ENTITIES:
        return Kind.ENTITIES
    if task.benchmark == "classification":
        return Kind.MULTILABEL
    if task.answer_format is AnswerFormat.MCQA:
        return Kind.CHOICE
    if task.answer_format is AnswerFormat.LABEL and task.labels:
        return Kind.LABEL
    if task.benchmark in EXACT_CATEGORIES or task.answer_format is AnswerFormat.LABEL:
        return Kind.EXACT
    return Kind.GENERATION


@dataclass(frozen=True)
class Item:
    """One reference and the prediction joined to it (``None``: no prediction)."""

    reference: str
    prediction: str | None
    options: tuple[str, ...] = ()
    upstream_reference: bool = False  # the reference is an upstream CSV's GT column


@dataclass
class TaskStats:
    """Per-example additive statistics of one task, and how many answers were unreadable."""

    kind: Kind
    language: str
    stats: np.ndarray  # shape (examples, columns)
    unparseable: int = 0

    @property
    def size(self) -> int:
        """Number of examples."""
        return int(self.stats.shape[0])

    def scores(self) -> dict[str, float]:
        """The task's metrics on all its examples."""
        values = aggregate(self.kind, self.stats.sum(axis=0, keepdims=True), self.size, self.language)
        return {name: float(values[name][0]) for name in METRICS[self.kind]}


# ---------------------------------------------------------------- per example


def score_items(
    kind: Kind, items: Sequence[Item], labels: Sequence[str] = (), language: str = "en"
) -> TaskStats:
    """Per-example statistics of one task's items.

    ``labels`` is the task card's closed label set (label and multilabel kinds);
    ``language`` the task's output language (it picks the BLEU tokenizer).
    """
    if kind is Kind.GENERATION:
        return TaskStats(kind, language, _generation_stats(items, language))
    rows: list[list[float]] = []
    unparseable = 0
    if kind is Kind.CHOICE:
        for item in items:
            gold = extract_choices(item.reference, item.options)
            guess = extract_choices(item.prediction, item.options)
            unparseable += item.prediction is not None and guess is None
            rows.append([float(guess is not None and guess == gold)])
    elif kind is Kind.LABEL:
        for item in items:
            gold = extract_label(item.reference, labels) or normalize_answer(item.reference)
            guess = extract_label(item.prediction, labels)
            unparseable += item.prediction is not None and guess is None
            rows.append([float(guess is not None and guess == gold)])
    elif kind is Kind.EXACT:
        for item in items:
            guess = normalize_answer(item.prediction) if item.prediction is not None else None
            rows.append([float(bool(guess) and guess == normalize_answer(item.reference))])
    elif kind is Kind.ENTITIES:
        for item in items:
            # records hold one entity per line; an upstream GT is a comma-separated answer
            parse = predicted_entities if item.upstream_reference else reference_entities
            gold = parse(item.reference)
            rows.append(_set_counts(gold, predicted_entities(item.prediction)))
    elif kind is Kind.MULTILABEL:
        known = set(labels)
        for item in items:  # the label vocabulary: the card's, else every reference's labels
            known |= split_labels(item.reference)
        for item in items:
            gold = split_labels(item.reference, known)
            rows.append(_set_counts(gold, split_labels(item.prediction, known)))
    width = 3 if kind in (Kind.ENTITIES, Kind.MULTILABEL) else 1
    return TaskStats(kind, language, np.array(rows, dtype=np.float64).reshape(-1, width), unparseable)


def _set_counts(gold: frozenset[str], guess: frozenset[str]) -> list[float]:
    return [float(len(gold & guess)), float(len(guess - gold)), float(len(gold - guess))]


# -------------------------------------------------------------- BLEU and ROUGE

_CJK_RANGES = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_ROUGE_TOKEN = re.compile(rf"[{_CJK_RANGES}]|(?:(?![{_CJK_RANGES}])[^\W_])+")


class RougeTokenizer:
    """rouge-score tokenizer for every benchmark language.

    rouge-score's default tokenizer keeps only ``[a-z0-9]`` and so deletes
    Chinese, Japanese and Cyrillic text and splits accented words. This one
    applies NFKC and casefolding, makes every Han / kana character a token, and
    keeps runs of other letters and digits (any script) as words; punctuation
    is dropped. On ASCII English it gives the same tokens as the default.
    """

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text``."""
        return _ROUGE_TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def bleu_tokenizer(language: str) -> str:
    """The sacrebleu ``tokenize`` name used for a language (ISO 639-1)."""
    return BLEU_TOKENIZERS.get(language, "13a")


def _bleu(language: str) -> BLEU:
    from sacrebleu.metrics.bleu import BLEU

    return BLEU(tokenize=bleu_tokenizer(language))


#: Columns of a generation row: BLEU's sys_len, ref_len, correct 1-4, total 1-4, then ROUGE F1 x3.
_BLEU_COLUMNS = 10
_ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def _generation_stats(items: Sequence[Item], language: str) -> np.ndarray:
    from rouge_score.rouge_scorer import RougeScorer

    if not items:
        return np.zeros((0, _BLEU_COLUMNS + len(_ROUGE_TYPES)))
    hyps = [item.prediction or "" for item in items]
    refs = [item.reference for item in items]
    # sacrebleu's per-segment sufficient statistics (the same numbers its
    # corpus_score sums; its own paired bootstrap uses this method).
    bleu_rows = np.array(_bleu(language)._extract_corpus_statistics(hyps, [refs]), dtype=np.float64)
    scorer = RougeScorer(list(_ROUGE_TYPES), use_stemmer=False, tokenizer=RougeTokenizer())
    rouge_rows = []
    for ref, hyp in zip(refs, hyps, strict=True):
        scores = scorer.score(ref, hyp)  # (target, prediction)
        rouge_rows.append([scores[name].fmeasure for name in _ROUGE_TYPES])
    return np.hstack([bleu_rows, np.array(rouge_rows, dtype=np.float64)])


# ----------------------------------------------------------------- aggregates


def prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 (0-100) from count arrays (conventions in the module docstring)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    nothing = (tp + fp + fn) == 0
    return tuple(100 * np.where(nothing, 1.0, v) for v in (precision, recall, f1))  # type: ignore[return-value]


def aggregate(kind: Kind, sums: np.ndarray, n: int, language: str = "en") -> dict[str, np.ndarray]:
    """Metric values from column sums.

    ``sums`` has shape (replicates, columns): row ``b`` holds the statistics of
    one (re)sample of ``n`` examples. Returns metric → array of replicates.
    """
    sums = np.atleast_2d(np.asarray(sums, dtype=np.float64))
    if kind in (Kind.CHOICE, Kind.LABEL, Kind.EXACT):
        return {"accuracy": 100 * sums[:, 0] / max(n, 1)}
    if kind in (Kind.ENTITIES, Kind.MULTILABEL):
        precision, recall, f1 = prf(sums[:, 0], sums[:, 1], sums[:, 2])
        return {"f1": f1, "precision": precision, "recall": recall}
    bleu = _bleu(language)
    values = []
    for row in np.rint(sums[:, :_BLEU_COLUMNS]).astype(np.int64):
        sys_len, ref_len = int(row[0]), int(row[1])
        order = bleu.max_ngram_order
        values.append(
            bleu.compute_bleu(
                [int(v) for v in row[2 : 2 + order]],
                [int(v) for v in row[2 + order : 2 + 2 * order]],
                sys_len,
                ref_len,
                smooth_method=bleu.smooth_method,
                smooth_value=bleu.smooth_value,
                effective_order=bleu.effective_order,
                max_ngram_order=order,
            ).score
        )
    rouge = 100 * sums[:, _BLEU_COLUMNS:] / max(n, 1)
    return {"bleu": np.array(values), **{t: rouge[:, i] for i, t in enumerate(_ROUGE_TYPES)}}
