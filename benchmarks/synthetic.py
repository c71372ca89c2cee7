"""A MedS-Ins-shaped synthetic corpus with near-duplicate ground truth.

Generates any number of Record-like rows (JSONL) whose *shape* follows MedS-Ins:
a length mix from short yes/no questions to long clinical notes, six languages
(en, zh, ja, fr, ru, es), train and test splits, several tasks over one passage,
and injected near-duplicates (lightly edited copies across tasks and splits).
The text is made of invented words (no real text is copied): each language has
a Zipf-distributed vocabulary of pseudo-words in its own script, and a word is
often followed by one of its few "collocates", so word bigrams repeat across
documents about as much as in natural prose.

Ground truth is exact: :func:`exact_similar_pairs` finds every pair of texts
whose shingle sets have Jaccard ≥ t (a prefix-filter similarity join, not a
sample and not just the injected families).

    python benchmarks/synthetic.py --records 200000 --out /tmp/synthetic.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = {"en": 0.55, "zh": 0.12, "es": 0.09, "fr": 0.09, "ru": 0.09, "ja": 0.06}

# (kind, share of records, words min–max, task ids, test share)
KINDS = [
    ("yesno", 0.20, (8, 25), ("task11", "task1001"), 0.10),
    ("mcqa", 0.25, (30, 150), ("task57", "task51", "task60", "task61"), 0.15),
    ("ner", 0.25, (15, 45), ("task27", "task28", "task1004"), 0.10),
    ("abstract", 0.25, (120, 300), ("task12", "task109", "task111"), 0.05),
    ("note", 0.05, (300, 800), ("task76", "task116"), 0.05),
]

_LATIN = "abcdefghijklmnopqrstuvwxyz"
_ALPHABETS = {
    "en": _LATIN,
    "fr": _LATIN + "éèàçêô",
    "es": _LATIN + "ñáéíóú",
    "ru": "абвгдежзийклмнопрстуфхцчшщыьэюя",
}


@dataclass
class _Language:
    """A vocabulary with Zipf weights and per-word collocates."""

    words: list[str]
    cumulative: list[float]
    collocates: list[list[int]]
    joiner: str  # " " for alphabetic scripts, "" for CJK

    def text(self, rng: random.Random, length: int) -> list[str]:
        out: list[int] = []
        while len(out) < length:
            if out and rng.random() < 0.45:
                out.append(rng.choice(self.collocates[out[-1]]))
            else:
                out.append(self._zipf(rng))
        return [self.words[i] for i in out]

    def _zipf(self, rng: random.Random) -> int:
        # Binary search in the cumulative weights.
        target = rng.random() * self.cumulative[-1]
        lo, hi = 0, len(self.cumulative) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cumulative[mid] < target:
                lo = mid + 1
            else:
                hi = mid
        return lo


def _vocabulary(code: str, rng: random.Random, size: int = 30000) -> _Language:
    """``size`` pseudo-words, most frequent first: frequent words are short, as in real text."""
    words: list[str] = []
    seen: set[str] = set()

    def han(pool: int) -> str:
        # Character frequencies are skewed too: a few hundred characters do most of the work.
        return chr(0x4E00 + int(pool * rng.random() ** 3))

    while len(words) < size:
        rank = len(words)
        if code == "zh":
            word = "".join(han(3500) for _ in range(rng.choice((1, 2, 2, 2, 3))))
        elif code == "ja":
            if rng.random() < 0.6:
                word = "".join(han(2500) for _ in range(rng.choice((1, 2, 2))))
            else:
                word = "".join(chr(rng.randrange(0x3041, 0x3094)) for _ in range(rng.choice((1, 2, 3))))
        else:
            alphabet = _ALPHABETS[code]
            length = max(1, round(rng.gauss(2.2 + 1.4 * math.log10(rank + 1), 1.5)))
            word = "".join(rng.choice(alphabet) for _ in range(length))
        if word not in seen:
            seen.add(word)
            words.append(word)
    cumulative, total = [], 0.0
    for rank in range(size):
        total += 1.0 / (rank + 1) ** 1.05
        cumulative.append(total)
    collocates = [[rng.randrange(size // 4) for _ in range(4)] for _ in range(size)]
    return _Language(words, cumulative, collocates, "" if code in ("zh", "ja") else " ")


def _render(words: list[str], language: _Language, rng: random.Random) -> str:
    """Words to text with sentence punctuation and capitals (normalisation removes both)."""
    out: list[str] = []
    since = 0
    for word in words:
        since += 1
        if language.joiner and since == 1:
            word = word[:1].upper() + word[1:]
        out.append(word)
        if since >= rng.randint(8, 20):
            out[-1] += "。" if not language.joiner else rng.choice((".", ".", "?", ";"))
            since = 0
    return language.joiner.join(out)


def _edit(words: list[str], language: _Language, rng: random.Random, rate: float) -> list[str]:
    """A light edit: about ``rate × len`` word substitutions, insertions and deletions."""
    words = list(words)
    for _ in range(max(1, round(rate * len(words)))):
        op = rng.random()
        at = rng.randrange(len(words))
        if op < 0.5:
            words[at] = language.words[language._zipf(rng)]
        elif op < 0.75:
            words.insert(at, language.words[language._zipf(rng)])
        elif len(words) > 2:
            del words[at]
    return words


def generate(records: int, *, seed: int = 0, near_duplicates: float = 0.08, multitask: float = 0.04) -> Iterator[dict]:
    """Yield ``records`` synthetic rows.

    ``near_duplicates`` of them are edited copies of an earlier row (edit rate
    0–12 % of words, or only case/punctuation), put in another task and often
    another split; ``multitask`` of them reuse an earlier input unchanged with
    a different output (another task over the same passage).
    Extra fields: ``family`` (the row the text derives from) and ``edit_rate``.
    """
    rng = random.Random(seed)
    languages = {code: _vocabulary(code, random.Random(f"{seed}-{code}")) for code in LANGUAGES}
    codes, code_weights = list(LANGUAGES), list(LANGUAGES.values())
    kind_weights = [kind[1] for kind in KINDS]
    made: list[tuple[dict, list[str]]] = []
    for n in range(records):
        roll = rng.random()
        if made and roll < near_duplicates:
            base, base_words = made[rng.randrange(len(made))]
            language = languages[base["input_language"]]
            rate = 0.0 if rng.random() < 0.2 else rng.uniform(0.0, 0.12)
            words = _edit(base_words, language, rng, rate) if rate else base_words
            kind = base["kind"]
            row = _row(n, kind, base["input_language"], _render(words, language, rng), rng)
            row["output"] = base["output"] if rng.random() < 0.7 else row["output"]
            row.update(family=base["family"], edit_rate=round(rate, 4))
        elif made and roll < near_duplicates + multitask:
            base, words = made[rng.randrange(len(made))]
            row = _row(n, base["kind"], base["input_language"], base["input"], rng)
            row.update(family=base["family"], edit_rate=0.0)
        else:
            code = rng.choices(codes, code_weights)[0]
            kind = rng.choices(KINDS, kind_weights)[0]
            language = languages[code]
            low, high = kind[2]
            # CJK "words" are 1–3 characters, so a CJK text has about 2× as many units.
            words = language.text(rng, rng.randint(low, high))
            row = _row(n, kind[0], code, _render(words, language, rng), rng)
            row.update(family=row["id"], edit_rate=0.0)
        made.append((row, words))
        yield row


def _row(n: int, kind: str, language: str, text: str, rng: random.Random) -> dict:
    spec = next(k for k in KINDS if k[0] == kind)
    task = rng.choice(spec[3])
    outputs = {
        "yesno": lambda: rng.choice(("yes", "no", "maybe")),
        "mcqa": lambda: f"{rng.choice('ABCD')}. option {rng.randrange(50)}",
        "ner": lambda: "\n".join(f"entity{rng.randrange(500)}" for _ in range(rng.randint(1, 3))),
        "abstract": lambda: f"summary {rng.randrange(10**6)}",
        "note": lambda: f"code {rng.randrange(10**5)}",
    }
    return {
        "id": f"{task}-{n:016x}",
        "task_id": task,
        "kind": kind,
        "split": "test" if rng.random() < spec[4] else "train",
        "instruction": f"Synthetic {kind} instruction.",
        "input": text,
        "output": outputs[kind](),
        "input_language": language,
        "output_language": language,
    }


def exact_similar_pairs(sets: Sequence[frozenset], threshold: float) -> dict[tuple[int, int], float]:
    """Every pair ``(i, j)``, ``i < j``, with exact Jaccard ≥ ``threshold``, and its Jaccard.

    Prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007): order each
    set's elements rarest first; two sets with Jaccard ≥ t must share an
    element among the first ``|x| − ⌈t·|x|⌉ + 1`` of the smaller one, and
    their sizes differ by at most a factor t. Exact, and near-linear when
    few pairs are similar.
    """
    frequency: dict = defaultdict(int)
    for items in sets:
        for item in items:
            frequency[item] += 1
    rank = {item: i for i, item in enumerate(sorted(frequency, key=lambda x: (frequency[x], x)))}
    ordered = [sorted(rank[item] for item in items) for items in sets]
    by_size = sorted(range(len(sets)), key=lambda i: (len(sets[i]), i))
    index: dict[int, list[int]] = defaultdict(list)
    found: dict[tuple[int, int], float] = {}
    for x in by_size:
        size = len(ordered[x])
        prefix = size - math.ceil(threshold * size - 1e-9) + 1
        candidates: set[int] = set()
        for token in ordered[x][:prefix]:
            for y in index[token]:
                if len(ordered[y]) >= threshold * size - 1e-9:
                    candidates.add(y)
            index[token].append(x)
        for y in candidates:
            inter = len(sets[x] & sets[y])
            jaccard = inter / (len(sets[x]) + len(sets[y]) - inter)
            if jaccard >= threshold:
                found[(min(x, y), max(x, y))] = jaccard
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with args.out.open("w", encoding="utf-8") as sink:
        for row in generate(args.records, seed=args.seed):
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
