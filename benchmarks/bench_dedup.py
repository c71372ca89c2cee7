"""Benchmark the dedup stage against datasketch (not a timed test: prints tables).

    python benchmarks/bench_dedup.py --records 200000

Sections:
  0. shingle choice, measured on real questions in six languages (../shared/realdata)
  a. signature throughput vs datasketch ``MinHash.bulk`` on the same shingles: medsins's
     default MurmurHash3 against datasketch's default (SHA-1) and, for identity, against
     datasketch with ``hashfunc=murmur3_32``; medsins ``hash="sha1"`` against datasketch's
     default (identity asserted for every document in both cases)
  b. precision / recall / F1 of near-duplicate pairs at Jaccard ≥ 0.8 against exact truth
  c. the dedup stage end to end (text → signatures → LSH → clusters) vs datasketch
     MinHash + MinHashLSH on the same corpus (identical clusters asserted: medsins
     ``hash="sha1"`` vs datasketch's default on the whole corpus, medsins's default vs
     datasketch with ``hashfunc=murmur3_32`` on a subset)

Timed steps run several times (section a: 3, section c: 2) and the fastest run counts, on both
sides alike (the machine is shared with other jobs).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

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
from medsins.stages.shingles import hash_shingle_lists, murmur3_32, normalise, shingle_normalised, shingles

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
THRESHOLD, NUM_PERM, SEED = 0.8, 128, 1
# Timed runs per measurement (the fastest counts, on both sides): section a is short, c is long.
RUNS_A, RUNS_C = 3, 2


def clock() -> float:
    return time.perf_counter()


def best_of(runs: int, job: Callable[[], Any]) -> tuple[Any, float]:
    """The result of the fastest of ``runs`` runs of ``job``, and its wall time."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = clock()
        outcome = job()
        seconds = clock() - start
        if seconds < best:
            best, result = seconds, outcome
    return result, best


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


def ours_from_shingles(shingle_lists: list[list[bytes]], hash: str) -> tuple[np.ndarray, float]:
    """medsins signatures of shingle lists (the datasketch input) and the seconds spent hashing."""
    start = clock()
    hashes, offsets = hash_shingle_lists(shingle_lists, hash)
    hash_seconds = clock() - start
    return signatures_from_hashes(hashes, offsets, num_perm=NUM_PERM, seed=SEED), hash_seconds


def bench_signatures(shingle_lists: list[list[bytes]], texts: list[str]) -> list[str]:
    count = sum(map(len, shingle_lists))
    theirs, ds_seconds = best_of(RUNS_A, lambda: MinHash.bulk(shingle_lists, num_perm=NUM_PERM, seed=SEED))
    (ours, murmur_hash_seconds), murmur_seconds = best_of(RUNS_A, lambda: ours_from_shingles(shingle_lists, "murmur3"))
    (ours_sha1, sha1_hash_seconds), sha1_seconds = best_of(RUNS_A, lambda: ours_from_shingles(shingle_lists, "sha1"))
    for sketch, row in zip(theirs, ours_sha1, strict=True):
        assert np.array_equal(sketch.hashvalues, row), "hash='sha1' signatures differ from datasketch's default"
    # The oracle for the default: datasketch with the same hash as a Python hashfunc.
    start = clock()
    theirs_murmur = MinHash.bulk(shingle_lists, num_perm=NUM_PERM, seed=SEED, hashfunc=murmur3_32)
    ds_murmur_seconds = clock() - start
    for sketch, row in zip(theirs_murmur, ours, strict=True):
        assert np.array_equal(sketch.hashvalues, row), "signatures differ from datasketch with hashfunc=murmur3_32"
    del theirs, theirs_murmur

    # From the texts (what the dedup stage does): datasketch needs shingle bytes, medsins spans.
    def datasketch_from_texts() -> list[MinHash]:
        return MinHash.bulk([shingle_normalised(t) for t in texts], num_perm=NUM_PERM, seed=SEED)

    _, ds_text_seconds = best_of(RUNS_A, datasketch_from_texts)
    from_texts, text_seconds = best_of(RUNS_A, lambda: signatures(texts, num_perm=NUM_PERM, seed=SEED, normalised=True))
    assert np.array_equal(from_texts, ours), "text path and shingle path differ"

    # For context: the per-shingle update() loop many pipelines use (on a tenth of the documents).
    subset = shingle_lists[: max(1, len(shingle_lists) // 10)]
    subset_count = sum(map(len, subset))
    start = clock()
    for doc in subset:
        sketch = MinHash(num_perm=NUM_PERM, seed=SEED)
        for shingle in doc:
            sketch.update(shingle)
    update_seconds = (clock() - start) / subset_count * count

    def row(label: str, seconds: float) -> str:
        return f"| {label} | {seconds:.2f} | {count / seconds:,.0f} | {seconds / count * 1e6:.3f} |"

    return [
        f"documents {len(shingle_lists):,} (evenly spaced over the sorted distinct inputs: every language), "
        f"shingles {count:,} ({count / len(shingle_lists):.0f} a document); identity asserted for every document",
        "",
        "| implementation (same shingle lists in, signatures out) | seconds | shingles/s | µs/shingle |",
        "|---|---|---|---|",
        row("datasketch `MinHash.bulk`, default hashfunc (SHA-1) — its fastest path", ds_seconds),
        row("datasketch `MinHash.bulk`, `hashfunc=murmur3_32` (pure Python; the oracle)", ds_murmur_seconds),
        row(f"datasketch `MinHash.update` per shingle ({len(subset):,} documents, scaled)", update_seconds),
        row("**medsins, default hash (MurmurHash3, vectorised)**", murmur_seconds),
        row("… of which joining + hashing the shingles", murmur_hash_seconds),
        row('medsins, `hash="sha1"`', sha1_seconds),
        row("… of which SHA-1 (hashlib)", sha1_hash_seconds),
        "",
        'identical signatures: medsins default = datasketch `hashfunc=murmur3_32`; medsins `hash="sha1"` = '
        "datasketch default (asserted)",
        f"**speed-up of the default vs datasketch's fastest path (bulk, SHA-1): {ds_seconds / murmur_seconds:.2f}×**; "
        f"vs bulk with the same hash: {ds_murmur_seconds / murmur_seconds:.2f}×; "
        f'medsins `hash="sha1"` vs bulk: {ds_seconds / sha1_seconds:.2f}×; '
        f"default vs the update() loop: {update_seconds / murmur_seconds:.2f}×",
        "",
        f"from the normalised texts instead (shingling included): datasketch `shingle_normalised` + bulk "
        f"{ds_text_seconds:.2f} s, medsins `signatures` {text_seconds:.2f} s "
        f"({ds_text_seconds / text_seconds:.2f}×; {text_seconds / count * 1e6:.3f} µs/shingle)",
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
        "| shingle hash | signatures | LSH bands × rows | candidate P at J=0.8 | verified by | pairs found "
        "| precision | recall | F1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for hash, num_perm in (("murmur3", 128), ("murmur3", 256), ("sha1", 128)):
        sketches = sketch_texts(texts, num_perm=num_perm, seed=SEED, normalised=True, hash=hash)
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
                    f"| {hash} | {num_perm} | {bands} × {rows_} ({label}) | {p_candidate:.2f} | {verify} "
                    f"({seconds:.1f} s) | {len(found):,} | {precision:.4f} | {recall:.4f} | {f1:.4f} |"
                )
    histogram = np.histogram(list(truth_scores.values()), bins=[0.8, 0.85, 0.9, 0.95, 1.0001])[0].tolist()
    rows += ["", f"truth pairs by exact Jaccard: {histogram} in [0.80, 0.85), [0.85, 0.90), [0.90, 0.95), [0.95, 1]"]
    return rows


# --- c. end to end -----------------------------------------------------------------------------------


def ours_end_to_end(
    inputs: list[str], workers: int = 1, hash: str = "murmur3", exact: bool = True
) -> tuple[list[str], np.ndarray, dict[str, float]]:
    times = {}
    start = clock()
    distinct = sorted(set(map(normalise, inputs)))
    times["normalise + exact"] = clock() - start
    mark = clock()
    sigs = signatures(distinct, num_perm=NUM_PERM, seed=SEED, normalised=True, workers=workers, hash=hash)
    times["shingles + signatures"] = clock() - mark
    mark = clock()
    labels = components(len(distinct), near_duplicate_pairs(sigs, THRESHOLD))
    times["LSH + verify + clusters"] = clock() - mark
    times["total"] = clock() - start
    if exact:  # the build's default: exact verification (keeps the shingle hashes)
        mark = clock()
        sketches = sketch_texts(distinct, num_perm=NUM_PERM, seed=SEED, normalised=True, workers=workers, hash=hash)
        components(len(distinct), near_duplicate_pairs(sketches.signatures, THRESHOLD, hashes=sketches[1:]))
        times["exact-verified total"] = clock() - mark + times["normalise + exact"]
    return distinct, labels, times


def datasketch_end_to_end(
    inputs: list[str], hashfunc: Callable[[bytes], int] | None = None
) -> tuple[list[str], np.ndarray, dict[str, float]]:
    """The same stage with datasketch: same normaliser and shingles, same LSH params, same verification."""
    times = {}
    options: dict[str, Any] = {"num_perm": NUM_PERM, "seed": SEED}
    if hashfunc is not None:
        options["hashfunc"] = hashfunc
    start = clock()
    distinct = sorted(set(map(normalise, inputs)))
    times["normalise + exact"] = clock() - start
    mark = clock()
    shingle_lists = [shingle_normalised(text) for text in distinct]
    times["shingles"] = clock() - mark
    mark = clock()
    sketches = MinHash.bulk(shingle_lists, **options)
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


def fastest(runs: int, job: Callable[[], tuple[list[str], np.ndarray, dict[str, float]]]):
    """The run of ``job`` with the smallest total time (stage times from that run)."""
    return min((job() for _ in range(runs)), key=lambda result: result[2]["total"])


def bench_end_to_end(rows: list[dict], skip_baseline: bool, identity_docs: int) -> list[str]:
    inputs = [row["input"] for row in rows]
    distinct, labels, ours = fastest(RUNS_C, lambda: ours_end_to_end(inputs))
    distinct_2, labels_2, ours_2 = fastest(RUNS_C, lambda: ours_end_to_end(inputs, workers=2))
    assert distinct_2 == distinct and np.array_equal(labels_2, labels), "workers changed the result"
    out = [
        f"records {len(rows):,}, distinct normalised inputs {len(distinct):,}, clusters of ≥ 2 (default hash): "
        f"{int((np.bincount(labels) > 1).sum()):,}",
        "",
    ]
    if not skip_baseline:
        distinct_ds, labels_ds, theirs = fastest(RUNS_C, lambda: datasketch_end_to_end(inputs))
        distinct_sha, labels_sha, ours_sha = fastest(RUNS_C, lambda: ours_end_to_end(inputs, hash="sha1", exact=False))
        assert distinct_ds == distinct == distinct_sha
        assert np.array_equal(labels_sha, labels_ds), "hash='sha1' clusters differ from datasketch's"
        # The default hash against datasketch with the same hash (pure Python, so on a subset).
        subset = inputs[:identity_docs]
        _, labels_sub, _ = ours_end_to_end(subset, exact=False)
        _, labels_sub_ds, _ = datasketch_end_to_end(subset, hashfunc=murmur3_32)
        assert np.array_equal(labels_sub, labels_sub_ds), "default clusters differ from datasketch+murmur3_32"
        sub_clusters = int((np.bincount(labels_sub) > 1).sum())
        out += [
            "| stage | datasketch (SHA-1), 1 process | medsins default (MurmurHash3), 1 process "
            '| medsins default, 2 worker processes | medsins `hash="sha1"`, 1 process |',
            "|---|---|---|---|---|",
        ]
        out.append(
            f"| normalise + exact dedup | {theirs['normalise + exact']:.2f} | {ours['normalise + exact']:.2f} | "
            f"{ours_2['normalise + exact']:.2f} | {ours_sha['normalise + exact']:.2f} |"
        )
        out.append(
            f"| shingles + signatures | {theirs['shingles'] + theirs['MinHash.bulk']:.2f} "
            f"(shingles {theirs['shingles']:.2f}) | {ours['shingles + signatures']:.2f} | "
            f"{ours_2['shingles + signatures']:.2f} | {ours_sha['shingles + signatures']:.2f} |"
        )
        out.append(
            f"| LSH + verify + clusters | {theirs['MinHashLSH + verify + clusters']:.2f} | "
            f"{ours['LSH + verify + clusters']:.2f} | {ours_2['LSH + verify + clusters']:.2f} | "
            f"{ours_sha['LSH + verify + clusters']:.2f} |"
        )
        out.append(
            f"| **total** | **{theirs['total']:.2f}** | **{ours['total']:.2f}** | **{ours_2['total']:.2f}** | "
            f"**{ours_sha['total']:.2f}** |"
        )
        out += [
            "",
            'identical clusters (asserted): medsins `hash="sha1"` = datasketch default on all '
            f"{len(distinct):,} inputs; medsins default = datasketch `hashfunc=murmur3_32` on the inputs of the "
            f"first {len(subset):,} records ({sub_clusters:,} clusters of ≥ 2); 1 worker = 2 workers",
            f"**speed-up end to end, default vs datasketch: {theirs['total'] / ours['total']:.2f}× (1 process)**, "
            f"{theirs['total'] / ours_2['total']:.2f}× (2 workers); "
            f'`hash="sha1"`: {theirs["total"] / ours_sha["total"]:.2f}×',
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
    parser.add_argument("--signature-docs", type=int, default=50_000, help="documents for section a (evenly spaced)")
    parser.add_argument(
        "--identity-docs", type=int, default=20_000, help="section c: subset checked vs datasketch+murmur3"
    )
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
    step = max(1, len(distinct) // args.signature_docs)
    sample = slice(None, step * args.signature_docs, step)  # every language, not the first ones in sort order
    print("\n".join(bench_signatures(shingle_lists[sample], distinct[sample])), flush=True)
    print("\n## b. near-duplicate pairs vs exact Jaccard\n")
    print("\n".join(bench_quality(distinct, shingle_lists)), flush=True)
    del shingle_lists
    print("\n## c. dedup stage end to end\n")
    print("\n".join(bench_end_to_end(rows, args.skip_baseline, args.identity_docs)), flush=True)


if __name__ == "__main__":
    main()
