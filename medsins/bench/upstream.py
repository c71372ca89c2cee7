"""``bench score --metrics upstream``: MedS-Bench numbers as MedS-Ins' own ``Metrics/`` scripts compute them.

Reimplemented from MAGIC-AI4Med/MedS-Ins ``Metrics/`` (commit cb26b7f), so that
figures are comparable with the paper's tables. Each metric has its own name:

``BLEU-1 sentence (upstream)``
    NLTK ``sentence_bleu`` with weights (1, 0, 0, 0) and ``SmoothingFunction().method1``
    per item, averaged over items (items with an empty output or GT are skipped,
    as upstream does). Tokens: NLTK ``word_tokenize`` for en/es/fr/ru, jieba
    for Chinese, janome for Japanese (see "Tokenizers" below).
``ROUGE-L F (upstream)``
    the ``rouge`` package's (pltrdy) ``rouge-l`` F per item: sentences split on
    ".", summary-level union LCS over the sets of words, F = 2PR/(P+R+1e-8);
    Chinese and Japanese are first tokenized and joined with spaces. Averaged over items.
``accuracy first-char (upstream)``
    MCQA: lowercase, "the right answer is" removed, stripped; correct when the
    first characters are equal and both in "abcd" (task123: "yn"). Option E is
    never correct.
``F1 entity-parse (upstream)``
    NER: every "." deleted, stripped, lowercased, the last character dropped,
    split on ", " ("there is no related enetity" - upstream's spelling - is the
    empty set); micro F1 over the task.
``accuracy containment (upstream)``
    diagnosis, treatment, NLI, IE and the other label tasks: the GT with every "."
    and "The diagnosis result is" removed, stripped and lowercased, is a
    substring of the lowercased output (``Diagnosis.py``'s rule, applied to every
    such category).

Tokenizers: upstream's ``word_tokenize`` needs NLTK's ``punkt`` sentence model,
which NLTK downloads at run time; offline, medsins splits sentences with an
untrained ``PunktSentenceTokenizer`` (same algorithm, no learned abbreviations)
before NLTK's ``NLTKWordTokenizer`` (what ``word_tokenize`` runs per sentence).
jieba and janome are used when installed (``pip install 'medsins[bench]'``);
without them every CJK character is a token.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from medsins.bench.metrics import Kind, task_kind

BLEU1 = "BLEU-1 sentence (upstream)"
ROUGEL = "ROUGE-L F (upstream)"
FIRST_CHAR = "accuracy first-char (upstream)"
ENTITY_F1 = "F1 entity-parse (upstream)"
CONTAINMENT = "accuracy containment (upstream)"

NO_ENTITY = "there is no related enetity"  # upstream's spelling


# ------------------------------------------------------------------ tokenizers


@functools.cache
def _nltk() -> tuple[Any, Any]:
    from nltk.tokenize import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    return PunktSentenceTokenizer(), NLTKWordTokenizer()


@functools.cache
def _janome() -> Any:
    try:
        from janome.tokenizer import Tokenizer
    except ImportError:
        return None
    return Tokenizer()


def _jieba() -> Any:
    try:
        import jieba
    except ImportError:
        return None
    jieba.setLogLevel(60)  # its dictionary-loading lines are not ours to print
    return jieba


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\u3040-\u30ff\u3400-\u4dbf"
                  r"\u4e00-\u9fff\uf900-\ufaff\s]+|\s+")


def _characters(text: str) -> list[str]:
    """Fallback CJK tokens (jieba/janome missing): each CJK character, runs of anything else."""
    return _CJK.findall(text)


def tokenize(text: str, language: str) -> list[str]:
    """Upstream's tokens of ``text`` for BLEU (see the module docstring)."""
    if language == "zh":
        jieba = _jieba()
        return list(jieba.cut(text)) if jieba is not None else _characters(text)
    if language == "ja":
        janome = _janome()
        return [t.surface for t in janome.tokenize(text)] if janome is not None else _characters(text)
    sentences, words = _nltk()
    return [token for sentence in sentences.tokenize(text) for token in words.tokenize(sentence)]


def tokenizers_used() -> str:
    """Which tokenizers this environment gives (for the report's note)."""
    zh = "jieba" if _jieba() is not None else "characters (jieba missing)"
    ja = "janome" if _janome() is not None else "characters (janome missing)"
    return f"en/es/fr/ru: NLTK words, untrained Punkt sentences; zh: {zh}; ja: {ja}"


# ------------------------------------------------------------------ metrics


def bleu1(prediction: str, reference: str, language: str) -> float:
    """Upstream's sentence BLEU-1 (0-1)."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    return float(sentence_bleu([tokenize(reference, language)], tokenize(prediction, language),
                               smoothing_function=SmoothingFunction().method1, weights=(1, 0, 0, 0)))


def rouge_l(prediction: str, reference: str, language: str) -> float:
    """The ``rouge`` package's ``rouge-l`` F (0-1) as upstream calls it."""
    if language in ("zh", "ja"):
        prediction, reference = (" ".join(tokenize(t, language)) for t in (prediction, reference))
    hyp = _sentences(prediction)
    ref = _sentences(reference)
    if not hyp or not ref:
        return 0.0  # the rouge package raises here; upstream would crash
    m = len(set(_words(ref)))
    n = len(set(_words(hyp)))
    union: set[str] = set()
    for ref_sentence in ref:
        ref_words = ref_sentence.split(" ")
        for hyp_sentence in hyp:
            union |= _lcs_words(ref_words, hyp_sentence.split(" "))
    llcs = len(union)
    r, p = llcs / m, llcs / n
    return 2.0 * ((p * r) / (p + r + 1e-8))


def _sentences(text: str) -> list[str]:
    return [" ".join(part.split()) for part in text.split(".") if len(part) > 0]


def _words(sentences: list[str]) -> list[str]:
    return [w for s in sentences for w in s.split(" ")]


def _lcs_words(x: list[str], y: list[str]) -> set[str]:
    """The words of the LCS the rouge package reconstructs (its tie-breaking kept)."""
    rows, cols = len(x), len(y)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        xi, above, row = x[i - 1], table[i - 1], table[i]
        for j in range(1, cols + 1):
            row[j] = above[j - 1] + 1 if xi == y[j - 1] else max(above[j], row[j - 1])
    words: set[str] = set()
    i, j = rows, cols
    while i > 0 and j > 0:
        if x[i - 1] == y[j - 1]:
            words.add(x[i - 1])
            i, j = i - 1, j - 1
        elif table[i - 1][j] > table[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return words


def mcqa_correct(prediction: str, reference: str, task_id: str) -> bool:
    """Upstream's MCQA rule: first characters, in "abcd" ("yn" for task123)."""
    pred = prediction.lower().replace("the right answer is", "").strip()
    gold = reference.lower().replace("the right answer is", "").strip()
    allowed = "yn" if task_id == "task123" else "abcd"
    return bool(pred) and bool(gold) and pred[0] in allowed and gold[0] in allowed and pred[0] == gold[0]


def parse_entities(text: str) -> set[str]:
    """Upstream's NER parse: "." deleted, lowercased, the last character dropped, split on ", "."""
    text = text.replace(".", "").strip().lower()
    return set() if text == NO_ENTITY else set(text[:-1].split(", "))


def contained(prediction: str, reference: str) -> bool:
    """Upstream's diagnosis rule: the normalised GT is a substring of the lowercased output."""
    gold = reference.replace(".", "").replace("The diagnosis result is", "").strip().lower()
    return gold in prediction.lower()


# ------------------------------------------------------------------ per task


@dataclass(frozen=True)
class UpstreamScore:
    """One upstream figure: a model's metric on a task (0-100) over ``n`` items."""

    model: str
    task_id: str
    category: str
    metric: str
    value: float
    n: int


def score_task(task: Any, pairs: Iterable[tuple[str | None, str]]) -> list[tuple[str, float, int]]:
    """``(metric, value 0-100, items)`` of one task from ``(prediction or None, reference)`` pairs."""
    pairs = list(pairs)
    category = task.benchmark or ""
    kind = task_kind(task)
    if kind == Kind.GENERATION:
        language = task.output_languages[0]
        kept = [(p.strip(), r.strip()) for p, r in pairs if p and p.strip() and r.strip()]
        if not kept:
            return [(BLEU1, 0.0, 0), (ROUGEL, 0.0, 0)]
        return [(BLEU1, 100 * sum(bleu1(p, r, language) for p, r in kept) / len(kept), len(kept)),
                (ROUGEL, 100 * sum(rouge_l(p, r, language) for p, r in kept) / len(kept), len(kept))]
    if category == "mcqa":
        return [(FIRST_CHAR, _mean(mcqa_correct(p or "", r, task.id) for p, r in pairs), len(pairs))]
    if category == "ner":
        tp = fp = fn = 0
        for p, r in pairs:
            if p is None:  # upstream skips a non-string output
                continue
            gold, guess = parse_entities(r), parse_entities(p)
            tp, fp, fn = tp + len(gold & guess), fp + len(guess - gold), fn + len(gold - guess)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return [(ENTITY_F1, 100 * f1, len(pairs))]
    return [(CONTAINMENT, _mean(contained(p or "", r) for p, r in pairs), len(pairs))]


def _mean(values: Iterable[bool]) -> float:
    values = list(values)
    return 100 * sum(values) / len(values) if values else 0.0


def score_upstream(
    joined: dict[str, dict[str, list[tuple[str | None, str]]]], registry: Any,
    progress: Callable[[str], None] | None = None,
) -> list[UpstreamScore]:
    """Upstream figures of ``{model: {task id: [(prediction, reference)]}}``."""
    scores = []
    for model, tasks in joined.items():
        for task_id in sorted(tasks, key=lambda t: int(t[4:])):
            task = registry.get(task_id)
            for metric, value, n in score_task(task, tasks[task_id]):
                scores.append(UpstreamScore(model, task_id, task.benchmark or "", metric, value, n))
    return scores


def to_markdown(scores: list[UpstreamScore]) -> str:
    """The upstream figures as a Markdown table (one row per model, task and metric)."""
    lines = ["## MedS-Bench scores, upstream metrics", "",
             "Metrics as MedS-Ins' `Metrics/` scripts compute them (docs/bench.md); tokenizers: "
             + tokenizers_used() + ".", "",
             "| model | task | category | metric | score | items |", "|---|---|---|---|---|---|"]
    lines += [f"| {s.model} | {s.task_id} | {s.category} | {s.metric} | {s.value:.2f} | {s.n} |" for s in scores]
    return "\n".join(lines) + "\n"
