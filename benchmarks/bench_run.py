"""Benchmark ``medsins bench run`` against a bare ``openai`` client loop (not a timed test: prints a table).

    python benchmarks/bench_run.py --items 600 --rounds 3

The fake OpenAI-compatible server (``tests/fake_openai.py``, an instant deterministic model)
runs in a separate process, so the client side's CPU is what is compared. For each
concurrency (1, 8, 32), in the same run and interleaved over rounds (best round counts,
the machine is shared):

* **bare**: ``client.chat.completions.create`` for every prompt, in a thread pool of that size;
* **medsins**: :func:`medsins.bench.run.run` on the same prompts into a fresh folder (prompt
  log appended and flushed per item, predictions JSONL + CSV written at the end).

Also measured once: building the prompts (:func:`medsins.bench.run.plan`: shot choice and
prompt text, per item) and scoring the predictions (:func:`medsins.bench.score`, 1,000
bootstrap resamples).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def synthetic_rows(items: int) -> list[dict]:
    """MCQA-like test items of task57 and 200 training records to draw shots from."""
    rows = []
    for split, count in (("test", items), ("train", 200)):
        for i in range(count):
            question = f"A {30 + i % 50}-year-old patient presents with symptom {i}. What is the next step?"
            options = [f"{letter}. treatment {i}-{letter}" for letter in "ABCD"]
            rows.append({"id": f"task57-{split}{i:012x}", "task_id": "task57", "split": split,
                         "instruction": "Answer the multiple-choice question with the letter of the right option.",
                         "input": question + "\n" + "\n".join(options), "output": "A. treatment", "options": options,
                         "output_language": "en"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import openai

    from medsins.bench import score
    from medsins.bench.backends import OpenAIBackend
    from medsins.bench.run import RunSettings, plan, run
    from medsins.plugins import catalog

    server = subprocess.Popen([sys.executable, str(REPO / "tests" / "fake_openai.py")], stdout=subprocess.PIPE,
                              text=True)
    try:
        url = server.stdout.readline().strip()
        registry = catalog().registry
        rows = synthetic_rows(args.items)
        start = time.perf_counter()
        items = plan(rows, RunSettings(tasks=("task57",)), registry)
        plan_s = time.perf_counter() - start
        client = openai.OpenAI(base_url=url, api_key="EMPTY", max_retries=0)
        messages = [i.prompt.as_openai() for i in items]

        def bare(concurrency: int) -> float:
            def ask(m: list[dict[str, str]]) -> str:
                return client.chat.completions.create(model="fake", messages=m, max_tokens=16,
                                                      temperature=0.0).choices[0].message.content

            begin = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(ask, messages))
            return time.perf_counter() - begin

        def ours(concurrency: int, folder: Path) -> float:
            settings = RunSettings(tasks=("task57",), concurrency=concurrency, max_tokens=16)
            backend = OpenAIBackend("fake", url)
            begin = time.perf_counter()
            result = run(backend, items, folder, settings)
            elapsed = time.perf_counter() - begin
            assert result.asked == len(items) and not result.failed
            return elapsed

        best: dict[tuple[str, int], float] = {}
        with tempfile.TemporaryDirectory() as tmp:
            bare(4)  # warm up connections and the server
            for round_ in range(args.rounds):
                for concurrency in (1, 8, 32):
                    for name in ("bare", "medsins"):
                        elapsed = bare(concurrency) if name == "bare" else ours(
                            concurrency, Path(tmp) / f"{round_}-{concurrency}")
                        key = (name, concurrency)
                        best[key] = min(best.get(key, elapsed), elapsed)
            predictions = Path(tmp) / "0-8" / "predictions.jsonl"
            begin = time.perf_counter()
            score({"fake": predictions}, references=[{k: r[k] for k in ("id", "task_id", "input", "output",
                                                                        "options", "output_language")}
                                                     for r in rows if r["split"] == "test"])
            score_s = time.perf_counter() - begin
    finally:
        server.terminate()
        server.wait()

    n = len(items)
    print(f"# bench_run: {n} items, best of {args.rounds} rounds, {datetime.date.today()}, "
          f"Python {platform.python_version()}, openai {openai.__version__}")
    print(f"prompt building (plan): {1e6 * plan_s / n:.0f} us/item; scoring (1000 bootstrap): "
          f"{1e6 * score_s / n:.0f} us/item")
    print("| concurrency | bare openai loop items/s | medsins run items/s | medsins overhead per item |")
    print("|---:|---:|---:|---:|")
    for concurrency in (1, 8, 32):
        b, m = best[("bare", concurrency)], best[("medsins", concurrency)]
        print(f"| {concurrency} | {n / b:.0f} | {n / m:.0f} | {1e6 * (m - b) / n:+.0f} us |")


if __name__ == "__main__":
    main()
