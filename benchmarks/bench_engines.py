"""The Ray engine against the local engine, in one run, on the synthetic corpus of bench_build.py.

    python benchmarks/bench_engines.py --records 250000 --dir /tmp/bench_engines

For each run — local ``--workers 1`` and ``2``, Ray with 1 and 2 CPUs (``ray.init(num_cpus=N)``
started inside the child, so its raylet, GCS and workers are the child's descendants) — a child
process builds the same raw files from an empty work folder. Reported: wall seconds per stage
(``BuildResult.timings``; the Ray start-up apart, and the child's whole wall time), the driver's
peak RSS (``VmHWM``) and the peak of the summed RSS of the
child and every descendant (Ray's own processes and workers included), sampled every 50 ms; and
whether each release is byte-identical to the first run's (sha256 of every file).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_build
from bench_build import clock, corpus_file, machine, vm_hwm_mib, write_plugins, write_raw

RUNS = (("local", 1), ("local", 2), ("ray", 1), ("ray", 2))
STAGES = ("convert", "filter", "dedup", "assemble", "release", "total")


def run_child(extra: list[str], env: dict[str, str]) -> dict:
    """This script's ``child`` mode in a child process: its JSON result, wall time and sampled tree-RSS peak."""
    return bench_build.run_child("child", extra, env, script=__file__)


class _StageStats(logging.Handler):
    """Keeps what the stages measured inside themselves: log lines ``<what>: {json}``.

    ``dedup on Ray`` (the Ray dedup index: shuffle volume, candidates, driver seconds) and
    ``assemble`` (first pass on the driver, per-task sort).
    """

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.stats: dict = {}

    def emit(self, record: logging.LogRecord) -> None:
        what, _, payload = record.getMessage().partition(": ")
        if what in ("dedup on Ray", "assemble"):
            self.stats[what] = json.loads(payload)


def child(args: argparse.Namespace) -> None:
    from medsins.build import BuildOptions, build

    stage_stats = _StageStats()
    for name in ("medsins.dedup", "medsins.assemble"):
        logging.getLogger(name).addHandler(stage_stats)
        logging.getLogger(name).setLevel(logging.INFO)

    ray_start = 0.0
    if args.engine == "ray":
        import ray

        start = clock()
        ray.init(address="local", num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
        ray_start = clock() - start
    result = build(BuildOptions(raw_root=Path(args.raw_root), sources=tuple(args.names.split(",")),
                                out=Path(args.out), work=Path(args.work), workers=args.workers,
                                engine=args.engine, quiet=True))
    digest = hashlib.sha256()
    for path in sorted(Path(args.out).rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(args.out).as_posix().encode() + b"\0" + path.read_bytes())
    print(json.dumps({"timings": result.timings, "ray_start": ray_start, "stage_stats": stage_stats.stats,
                      "counts": result.counts["total"],
                      "vmhwm_mib": vm_hwm_mib(), "release_sha256": digest.hexdigest()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="parent")
    parser.add_argument("--records", type=int, default=250_000)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench_engines"))
    parser.add_argument("--raw-root", default="")
    parser.add_argument("--names", default="")
    parser.add_argument("--out", default="")
    parser.add_argument("--work", default="")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--engine", default="local")
    args = parser.parse_args()
    if args.mode == "child":
        return child(args)
    args.dir.mkdir(parents=True, exist_ok=True)
    corpus = corpus_file(args.dir, args.records, args.seed)
    plugins = args.dir / "plugins"
    names = write_plugins(plugins, args.sources, corpus)
    env = {**os.environ, "MEDSINS_SOURCE_PATH": str(plugins), "PYTHONHASHSEED": "0"}
    raw_root = args.dir / "raw"
    raw_root.mkdir(exist_ok=True)
    write_raw(corpus, raw_root, names, args.records)
    results = {}
    for engine, workers in RUNS:
        out, work = args.dir / f"release-{engine}-{workers}", args.dir / f"work-{engine}-{workers}"
        for folder in (out, work):
            shutil.rmtree(folder, ignore_errors=True)
        results[(engine, workers)] = run_child(
            ["--raw-root", str(raw_root), "--names", ",".join(names), "--out", str(out), "--work",
                      str(work), "--workers", str(workers), "--engine", engine], env)
        print(f"{engine} {workers}: {results[(engine, workers)]}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    first = results[RUNS[0]]
    lines = [f"Measured {datetime.date.today().isoformat()} on {machine()}; {args.records:,} records "
             f"({args.sources} sources).", "",
             "| engine | workers | " + " | ".join(STAGES) + " | ÷ local same workers | Ray start | child wall | "
             "peak RSS driver | peak RSS tree | processes | same bytes |",
             "|---|---:|" + "---:|" * (len(STAGES) + 7)]
    for (engine, workers), r in results.items():
        t = r["timings"]
        ratio = t["total"] / results[("local", workers)]["timings"]["total"]
        lines.append(f"| {engine} | {workers} | " + " | ".join(f"{t.get(s, 0):.1f}" for s in STAGES)
                     + f" | {ratio:.2f} | {r.get('ray_start', 0):.1f} | {r['child_wall']:.1f} | "
                       f"{r['vmhwm_mib']:,.0f} MiB | {r['tree_peak_mib']:,.0f} MiB | "
                       f"{r['processes']} | {'yes' if r['release_sha256'] == first['release_sha256'] else 'NO'} |")
    for (engine, workers), r in results.items():
        for what, stats in sorted(r.get("stage_stats", {}).items()):
            shown = {k: round(v, 2) if isinstance(v, float) else v for k, v in sorted(stats.items())}
            lines.append(f"- {engine} {workers}, {what}: {json.dumps(shown)}")
    lines += ["", "ledger (total): " + ", ".join(f"{k} {v:,}" for k, v in first["counts"].items())]
    (args.dir / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (args.dir / "results.json").write_text(json.dumps({f"{e}-{w}": r for (e, w), r in results.items()}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
