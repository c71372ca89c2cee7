"""Benchmark the dedup stage against datasketch (not a timed test: prints tables).

    python benchmarks/bench_dedup.py --records 200000

Sections:
  0. shingle choice, measured on real questions in six languages (../shared/realdata)
  a. signature throughput vs datasketch ``MinHash.bulk`` on the same shingles (identity asserted)
  b. precision / recall / F1 of near-duplicate pairs at Jaccard ≥ 0.8 against exact truth
  c. the dedup stage end to end (text → signatures → LSH → clusters) vs datasketch
     MinHash + MinHashLSH on the same corpus (identical clusters asserted)
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import random
import sys
import time
from itertools import combinations
from pathlib import Path

import datasketch
import numpy as np
from datasketch import MinHash, MinHashLSH

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import exact_similar_pairs, generate

from medsins.stages.dedup import find_duplicates
from medsins.stages.minhash import (
    components,
    near_duplicate_pairs,
    optimal_params,
    recall_params,
    signatures,
    signatures_from_hashes,
    sketch_texts,
)
from medsins.stages.shingles import hash_shingles, normalise, shingle_normalised, shingles

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
THRESHOLD, NUM_PERM, SEED = 0.8, 128, 1


def clock() -> float:
    return time.perf_counter()


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {np.__version__}, "
        f"datasketch {datasketch.__version__}"
    )


# --- 0. shingle choice on real text ---------------------------------------------------------------


def real_questions() -> dict[str, list[str]]:
    """Question texts per language from the real corpus slices (read in place)."""
    out: dict[str, list[str]] = {}
    if not REALDATA.is_dir():
        return out
    medqa = REALDATA / "medqa" / "test.jsonl"
    if medqa.exists():
        out["en"] = [json.loads(line)["question"] for line in medqa.open(encoding="utf-8")]
    headqa = REALDATA / "headqa" / "dev_HEAD.json"
    if headqa.exists():
        exams = json.loads(headqa.read_text(encoding="utf-8"))["exams"].values()
        out["es"] = [q["qtext"] for exam in exams for q in exam["data"]]
    french = REALDATA / "frenchmedmcqa" / "train.json"
    if french.exists():
        out["fr"] = [item["question"] for item in json.loads(french.read_text(encoding="utf-8"))]
    russian = REALDATA / "rumedbench" / "RuMedDaNet_dev_v1.jsonl"
    if russian.exists():
        out["ru"] = [json.loads(line)["question"] for line in russian.open(encoding="utf-8")]
    japanese = REALDATA / "igakuqa" / "116-A.jsonl"
    if japanese.exists():
        out["ja"] = [json.loads(line)["problem_text"] for line in japanese.open(encoding="utf-8")]
    chinese = REALDATA / "cmeee" / "CMeEE-V2_dev.json"
    if chinese.exists():
        out["zh"] = [item["text"] for item in json.loads(chinese.read_text(encoding="utf-8"))]
    return {language: texts[:300] for language, texts in out.items() if texts}


def one_edit(text: str, rng: random.Random, cjk: bool) -> str:
    """Substitute one word (or, in CJK, one character) with another from the same text."""
    if cjk:
        chars = list(text)
        chars[rng.randrange(len(chars))] = rng.choice(chars)
        return "".join(chars)
    words = text.split()
    words[rng.randrange(len(words))] = rng.choice(["patient", "the", "most", "is"])
    return " ".join(words)


def bench_shingle_choice() -> list[str]:
    corpora = real_questions()
    if not corpora:
        return ["(skipped: ../shared/realdata not found)"]
    rows = [
        "| language (corpus) | texts | median length (units) | unit | n | one-edit copies at J ≥ 0.8 | "
        "unrelated pairs at J ≥ 0.8 |",
        "|---|---|---|---|---|---|---|",
    ]
    rng = random.Random(0)
    for language, texts in corpora.items():
        cjk = language in ("zh", "ja")
        edited = [one_edit(text, rng, cjk) for text in texts]
        lengths = [len(normalise(t).replace(" ", "")) if cjk else len(normalise(t).split()) for t in texts]
        for n in (2, 3, 4, 5) if cjk else (1, 2, 3, 4):
            options = {"char_n": n} if cjk else {"word_n": n}
            sets = [set(shingles(t, **options)) for t in texts]
            kept = 0
            for base, text in zip(sets, edited, strict=True):
                other = set(shingles(text, **options))
                kept += len(base & other) / len(base | other) >= THRESHOLD
            false = sum(
                1
                for i, j in combinations(range(len(sets)), 2)
                if normalise(texts[i]) != normalise(texts[j])
                and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= THRESHOLD
            )
            pairs = len(sets) * (len(sets) - 1) // 2
            rows.append(
                f"| {language} | {len(texts)} | {int(np.median(lengths))} | {'char' if cjk else 'word'} | {n} | "
                f"{kept / len(texts):.0%} | {false} of {pairs} |"
            )
    return rows


# --- corpus ------------------------------------------------------------------------------------------


def load_corpus(args: argparse.Namespace) -> list[dict]:
    if args.corpus and args.corpus.exists():
        with args.corpus.open(encoding="utf-8") as source:
            return [json.loads(line) for line in source][: args.records]
    rows = list(generate(args.records, seed=args.seed))
    if args.corpus:
        with args.corpus.open("w", encoding="utf-8") as sink:
            for row in rows:
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    return rows


# --- a. signatures -----------------------------------------------------------------------------------


def bench_signatures(shingle_lists: list[list[bytes]]) -> list[str]:
    count = sum(map(len, shingle_lists))
    start = clock()
    theirs = MinHash.bulk(shingle_lists, num_perm=NUM_PERM, seed=SEED)
    datasketch_seconds = clock() - start

    start = clock()
    lengths = np.fromiter(map(len, shingle_lists), dtype=np.int64, count=len(shingle_lists))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = [shingle for doc in shingle_lists for shingle in doc]
    hash_start = clock()
    hashes = hash_shingles(flat)
    hash_seconds = clock() - hash_start
    ours = signatures_from_hashes(hashes, offsets, num_perm=NUM_PERM, seed=SEED)
    our_seconds = clock() - start

    for sketch, row in zip(theirs, ours, strict=True):
        assert np.array_equal(sketch.hashvalues, row), "signatures differ from datasketch"

    # For context: the per-shingle update() loop many pipelines use (on a tenth of the documents).
    subset = shingle_lists[: max(1, len(shingle_lists) // 10)]
    subset_count = sum(map(len, subset))
    start = clock()
    for doc in subset:
        sketch = MinHash(num_perm=NUM_PERM, seed=SEED)
        for shingle in doc:
            sketch.update(shingle)
    update_seconds = (clock() - start) / subset_count * count
    return [
        f"documents {len(shingle_lists):,}, shingles {count:,} ({count / len(shingle_lists):.0f} a document); "
        "signatures identical to datasketch: yes (asserted)",
        "",
        "| implementation | seconds | shingles/s | µs/shingle |",
        "|---|---|---|---|",
        f"| datasketch MinHash.bulk | {datasketch_seconds:.2f} | {count / datasketch_seconds:,.0f} | "
        f"{datasketch_seconds / count * 1e6:.3f} |",
        f"| datasketch MinHash.update per shingle (on {len(subset):,} documents, scaled) | {update_seconds:.2f} | "
        f"{count / update_seconds:,.0f} | {update_seconds / count * 1e6:.3f} |",
        f"| medsins (vectorised) | {our_seconds:.2f} | {count / our_seconds:,.0f} | {our_seconds / count * 1e6:.3f} |",
        f"| of which SHA-1 (hashlib, same for both) | {hash_seconds:.2f} | | {hash_seconds / count * 1e6:.3f} |",
        "",
        f"speed-up vs MinHash.bulk: {datasketch_seconds / our_seconds:.2f}×; "
        f"vs the update() loop: {update_seconds / our_seconds:.2f}×",
    ]


# --- b. quality --------------------------------------------------------------------------------------


def prf(found: set, truth: set) -> tuple[float, float, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def bench_quality(texts: list[str], shingle_lists: list[list[bytes]]) -> list[str]:
    start = clock()
    truth_scores = exact_similar_pairs([frozenset(s) for s in shingle_lists], THRESHOLD)
    truth = set(truth_scores)
    truth_seconds = clock() - start
    rows = [
        f"distinct inputs {len(texts):,}; exact pairs with Jaccard ≥ {THRESHOLD}: {len(truth):,} "
        f"(prefix-filter join, {truth_seconds:.0f} s)",
        "",
        "| signatures | LSH bands × rows | candidate P at J=0.8 | verified by | pairs found "
        "| precision | recall | F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for num_perm in (128, 256):
        sketches = sketch_texts(texts, num_perm=num_perm, seed=SEED, normalised=True)
        for params, label in (
            (recall_params(THRESHOLD, num_perm), "recall_params"),
            (optimal_params(THRESHOLD, num_perm), "datasketch default"),
        ):
            for verify in ("estimate", "exact"):
                hashes = (sketches.hashes, sketches.offsets) if verify == "exact" else None
                start = clock()
                pairs = near_duplicate_pairs(sketches.signatures, THRESHOLD, params=params, hashes=hashes)
                seconds = clock() - start
                found = {tuple(p) for p in pairs.tolist()}
                precision, recall, f1 = prf(found, truth)
                bands, rows_ = params
                p_candidate = 1 - (1 - THRESHOLD**rows_) ** bands
                rows.append(
                    f"| {num_perm} | {bands} × {rows_} ({label}) | {p_candidate:.2f} | {verify} ({seconds:.1f} s) | "
                    f"{len(found):,} | {precision:.4f} | {recall:.4f} | {f1:.4f} |"
                )
    histogram = np.histogram(list(truth_scores.values()), bins=[0.8, 0.85, 0.9, 0.95, 1.0001])[0].tolist()
    rows += ["", f"truth pairs by exact Jaccard: {histogram} in [0.80, 0.85), [0.85, 0.90), [0.90, 0.95), [0.95, 1]"]
    return rows


# --- c. end to end -----------------------------------------------------------------------------------


def ours_end_to_end(inputs: list[str], workers: int = 1) -> tuple[list[str], np.ndarray, dict[str, float]]:
    times = {}
    start = clock()
    distinct = sorted(set(map(normalise, inputs)))
    times["normalise + exact"] = clock() - start
    mark = clock()
    sigs = signatures(distinct, num_perm=NUM_PERM, seed=SEED, normalised=True, workers=workers)
    times["shingles + signatures"] = clock() - mark
    mark = clock()
    labels = components(len(distinct), near_duplicate_pairs(sigs, THRESHOLD))
    times["LSH + verify + clusters"] = clock() - mark
    times["total"] = clock() - start
    # The build's default: exact verification (keeps the shingle hashes).
    mark = clock()
    sketches = sketch_texts(distinct, num_perm=NUM_PERM, seed=SEED, normalised=True, workers=workers)
    components(len(distinct), near_duplicate_pairs(sketches.signatures, THRESHOLD, hashes=sketches[1:]))
    times["exact-verified total"] = clock() - mark + times["normalise + exact"]
    return distinct, labels, times


def datasketch_end_to_end(inputs: list[str]) -> tuple[list[str], np.ndarray, dict[str, float]]:
    """The same stage with datasketch: same normaliser and shingles, same LSH params, same verification."""
    times = {}
    start = clock()
    distinct = sorted(set(map(normalise, inputs)))
    times["normalise + exact"] = clock() - start
    mark = clock()
    shingle_lists = [shingle_normalised(text) for text in distinct]
    times["shingles"] = clock() - mark
    mark = clock()
    sketches = MinHash.bulk(shingle_lists, num_perm=NUM_PERM, seed=SEED)
    times["MinHash.bulk"] = clock() - mark
    mark = clock()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=recall_params(THRESHOLD, NUM_PERM))
    with lsh.insertion_session() as session:
        for key, sketch in enumerate(sketches):
            session.insert(key, sketch, check_duplication=False)
    parent = list(range(len(distinct)))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for key, sketch in enumerate(sketches):
        for other in lsh.query(sketch):
            if other > key and sketch.jaccard(sketches[other]) >= THRESHOLD:
                a, b = find(key), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    labels = np.array([find(node) for node in range(len(distinct))])
    times["MinHashLSH + verify + clusters"] = clock() - mark
    times["total"] = clock() - start
    return distinct, labels, times


def bench_end_to_end(rows: list[dict], skip_baseline: bool) -> list[str]:
    inputs = [row["input"] for row in rows]
    distinct, labels, ours = ours_end_to_end(inputs)
    distinct_2, labels_2, ours_2 = ours_end_to_end(inputs, workers=2)
    assert distinct_2 == distinct and np.array_equal(labels_2, labels), "workers changed the result"
    out = [
        f"records {len(rows):,}, distinct normalised inputs {len(distinct):,}, clusters of ≥ 2: "
        f"{int((np.bincount(labels) > 1).sum()):,}",
        "",
    ]
    if not skip_baseline:
        distinct_ds, labels_ds, theirs = datasketch_end_to_end(inputs)
        assert distinct_ds == distinct
        assert np.array_equal(labels, labels_ds), "clusters differ from datasketch's"
        out += [
            "| stage | datasketch s (1 process) | medsins s (1 process) | medsins s (2 worker processes) |",
            "|---|---|---|---|",
        ]
        out.append(
            f"| normalise + exact dedup | {theirs['normalise + exact']:.2f} | {ours['normalise + exact']:.2f} | "
            f"{ours_2['normalise + exact']:.2f} |"
        )
        out.append(
            f"| shingles + signatures | {theirs['shingles'] + theirs['MinHash.bulk']:.2f} "
            f"(shingles {theirs['shingles']:.2f}) | {ours['shingles + signatures']:.2f} | "
            f"{ours_2['shingles + signatures']:.2f} |"
        )
        out.append(
            f"| LSH + verify + clusters | {theirs['MinHashLSH + verify + clusters']:.2f} | "
            f"{ours['LSH + verify + clusters']:.2f} | {ours_2['LSH + verify + clusters']:.2f} |"
        )
        out.append(f"| **total** | **{theirs['total']:.2f}** | **{ours['total']:.2f}** | **{ours_2['total']:.2f}** |")
        out += [
            "",
            "clusters identical to datasketch's (and between 1 and 2 workers): yes (asserted)",
            f"speed-up end to end: {theirs['total'] / ours['total']:.2f}× (1 process), "
            f"{theirs['total'] / ours_2['total']:.2f}× (2 workers)",
            f"medsins with exact verification (the build's default): {ours['exact-verified total']:.2f} s "
            f"({theirs['total'] / ours['exact-verified total']:.2f}×), 2 workers "
            f"{ours_2['exact-verified total']:.2f} s ({theirs['total'] / ours_2['exact-verified total']:.2f}×)",
        ]
    else:
        out += [f"medsins: {ours}"]
    start = clock()
    drops = find_duplicates(
        [row["id"] for row in rows], inputs, [row["output"] for row in rows], [row["split"] == "test" for row in rows]
    )
    seconds = clock() - start
    kinds = {kind: sum(1 for d in drops.values() if d.kind == kind) for kind in ("duplicate", "contaminates")}
    out += [
        "",
        f"find_duplicates (the build's decision API, inputs + outputs + rule) on all {len(rows):,} records: "
        f"{seconds:.2f} s; drops {kinds}",
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the dedup stage against datasketch.")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, help="JSONL corpus to read (written there if missing)")
    parser.add_argument("--signature-docs", type=int, default=50_000, help="documents for section a")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run datasketch in section c")
    args = parser.parse_args()

    print(f"# dedup benchmark — {datetime.date.today().isoformat()}")
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/bench_dedup.py {' '.join(sys.argv[1:])}\n")
    print("## 0. shingle choice on real questions\n")
    print("\n".join(bench_shingle_choice()), flush=True)

    start = clock()
    rows = load_corpus(args)
    print(f"\ncorpus: {len(rows):,} synthetic records ({clock() - start:.0f} s to make/load)", flush=True)

    distinct = sorted({normalise(row["input"]) for row in rows})
    shingle_lists = [shingle_normalised(text) for text in distinct]

    print("\n## a. signature throughput on the same shingles\n")
    print("\n".join(bench_signatures(shingle_lists[: args.signature_docs])), flush=True)
    print("\n## b. near-duplicate pairs vs exact Jaccard\n")
    print("\n".join(bench_quality(distinct, shingle_lists)), flush=True)
    del shingle_lists
    print("\n## c. dedup stage end to end\n")
    print("\n".join(bench_end_to_end(rows, args.skip_baseline)), flush=True)


if __name__ == "__main__":
    main()
