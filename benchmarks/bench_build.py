"""Benchmark the whole build (``medsins build``) against its peers, in one run.

    python benchmarks/bench_build.py --records 250000 500000 1000000 --dir /tmp/bench_build

For each corpus size N:

1. A MedS-Ins-shaped synthetic corpus (``benchmarks/synthetic.py``; the first N
   rows of one generated corpus, so the sizes nest) is written as the raw files
   of ``--sources`` synthetic source plugins (``synthbench_0`` …, rows dealt
   round-robin, so near-duplicate families cross sources as they do across
   MedS-Ins corpora). The plugins live in a temporary source folder found
   through ``MEDSINS_SOURCE_PATH``; their converter reads the JSONL with
   :func:`medsins.formats.read_jsonl` and maps each row to a registry task whose
   languages, split and answer format fit (see ``CONVERTER``).
2. The real build — ``medsins.build.build(BuildOptions(...))`` — runs in a child
   process for each ``--workers`` value, from an empty work folder. Wall time
   per stage comes from ``BuildResult.timings``; peak memory is the child's own
   ``VmHWM`` (read from ``/proc/self/status`` just before it exits; a fresh
   ``exec`` starts a new address space, unlike ``ru_maxrss``, which survives
   ``exec`` and so counts the forking parent) plus the peak of the *sum* of
   ``VmRSS`` over the child and its worker processes, sampled every 50 ms.
3. Peers on the same records, each in its own child process:
   - **datasketch's dedup alone**: the records' inputs (read before the clock
     starts) → normalise + exact dedup → shingles (medsins' shingler, so the
     sets are the same) → ``MinHash.generator`` (``MinHash.bulk`` without
     holding every shingle list) → ``MinHashLSH(threshold=0.8, num_perm=128)``
     with its own parameters (9 bands × 13 rows: fewer bands than the build's
     16 × 8, so cheaper), insertion session, ``query`` per document, estimated
     Jaccard ≥ 0.8, union-find.
   - **I/O floor**: read every raw JSONL with ``pyarrow.json.read_json`` and
     write it as zstd Parquet with ``pyarrow.parquet.write_table``.

Prints a Markdown report (also written to ``<dir>/report-<N>.md``) and a JSON
line per measurement to ``<dir>/results.jsonl``. Not a timed test.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

MANIFEST = """\
id = "{id}"
name = "Synthetic MedS-Ins-shaped corpus, part {part}"
homepage = "https://example.org/medsins-synthetic"
citation = "medsins benchmarks (2026). A synthetic corpus for build benchmarks."
license = "CC0-1.0"
license_url = "https://creativecommons.org/publicdomain/zero/1.0/legalcode"
access = "open"
languages = ["en", "zh", "fr", "ja", "ru", "es"]
text_source = "exam"
tasks = {tasks}
version = "1.0.0"
description = "benchmarks/synthetic.py rows mapped to registry tasks of the right language, split and format."

[[raw_files]]
pattern = "corpus.jsonl"
description = "synthetic.py rows (JSON Lines)."
"""

# The converter of every synthbench_* plugin. Rows are mapped to tasks whose
# languages and split fit: the kind "mcqa" to each language's MCQA task (split
# "both"); other kinds to the test-only rationale tasks 51-56 when the row is a
# test row, else to a text task of the language (fr/es → English translation
# tasks, whose output side is English; ja/ru have no train text task, so their
# rows become one-option-correct MCQA items). MCQA rows get four options, the
# answer among them, so they satisfy the MCQA conformance check.
CONVERTER = '''
from medsins.formats import read_jsonl
from medsins.plugins import Source
from medsins.records import Example

MCQA = {"en": "task57", "zh": "task58", "ja": "task59", "fr": "task60", "ru": "task61", "es": "task129"}
TEST = {"zh": "task51", "en": "task52", "fr": "task53", "ja": "task54", "ru": "task55", "es": "task56"}
TRAIN = {
    "en": {"yesno": "task15", "ner": "task13", "abstract": "task111", "note": "task73"},
    "zh": "task120",
    "fr": "task21",
    "es": "task24",
}
OUTPUT_LANGUAGE = {"task21": "en", "task24": "en"}
LETTERS = "ABCD"


class Converter(Source):
    def convert(self, raw_dir, report):
        for path in self.files(raw_dir, "corpus.jsonl"):
            for where, row in read_jsonl(path, on_error=report):
                try:
                    yield self.example(row, self.origin(path, where))
                except (KeyError, TypeError, ValueError) as exc:
                    from medsins.errors import InputError

                    report(InputError(path, where, f"bad row: {exc!r}"))

    def example(self, row, origin):
        language, kind, split = row["input_language"], row["kind"], row["split"]
        output, options = row["output"], []
        if kind == "mcqa" or (split == "train" and language in ("ja", "ru")):
            task = MCQA[language]
            if kind == "mcqa":
                letter, text = output.split(". ", 1)
            else:
                letter, text = LETTERS[len(output) % 4], output.replace("\\n", "; ")
            at = LETTERS.index(letter)
            options = [f"{L}. {text if i == at else f'{text} {i + 1}'}" for i, L in enumerate(LETTERS)]
            output = options[at]
        elif split == "test":
            task = TEST[language]
        else:
            task = TRAIN[language][kind] if language == "en" else TRAIN[language]
        return Example(
            task_id=task,
            split=split,
            input=row["input"],
            output=output,
            options=options,
            raw_id=row["id"],
            origin=origin,
            input_language=language,
            output_language=OUTPUT_LANGUAGE.get(task, language),
        )
'''

TASKS = sorted(
    {"task57", "task58", "task59", "task60", "task61", "task129", "task51", "task52", "task53", "task54", "task55",
     "task56", "task15", "task13", "task111", "task73", "task120", "task21", "task24"},
    key=lambda t: int(t[4:]),
)


def clock() -> float:
    return time.perf_counter()


def vm_hwm_mib() -> float:
    """This process's peak resident set (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import datasketch
    import numpy
    import pyarrow

    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, pyarrow {pyarrow.__version__}, datasketch {datasketch.__version__}"
    )


# -- corpus and plugins ----------------------------------------------------------------------------


# The most frequent function words of each Latin-script language (written for this benchmark).
FUNCTION_WORDS = {
    "en": ["the", "of", "and", "to", "in", "is", "was", "for", "with", "that", "as", "on", "by", "are", "from"],
    "fr": ["le", "la", "les", "de", "des", "et", "est", "dans", "pour", "une", "du", "au", "sur", "par", "avec"],
    "es": ["el", "la", "los", "las", "de", "y", "en", "que", "por", "con", "para", "del", "se", "una", "es"],
}


def with_function_words(text: str, language: str) -> str:
    """``text`` with function words of ``language`` after about a third of its words.

    synthetic.py's words are invented, so a language detector reads its Latin
    text as noise (lingua calls half of it Swedish or German) and the language
    filter would drop ~40 % of the corpus — nothing like real text, where
    function words make up a third or more of the running words. Which word
    follows is a function of the word itself (CRC-32 of its normalised form),
    so an edited copy gets the same insertions and stays a near-duplicate.
    """
    words = FUNCTION_WORDS.get(language)
    if not words:
        return text
    out = []
    for token in text.split(" "):
        out.append(token)
        key = zlib.crc32(token.strip(".?;,").lower().encode("utf-8"))
        if key % 3 == 0:
            out.append(words[key // 3 % len(words)])
    return " ".join(out)


#: Rows per generated chunk: synthetic.generate keeps every row it made (~3 GiB a million rows).
CHUNK = 1_000_000


def corpus_file(folder: Path, records: int, seed: int) -> Path:
    """The generated corpus of ``records`` rows, Latin inputs with function words (written once, reused).

    Up to :data:`CHUNK` rows it is one ``generate(records, seed)`` run. A larger
    corpus is the concatenation of ``CHUNK``-row corpora of seeds ``seed``,
    ``seed + 1``, … (generated two at a time in worker processes), with the row
    number in each id offset by ``chunk << 32`` so ids stay unique; chunk 0 is
    the ``CHUNK``-row corpus itself, so the sizes still nest. Near-duplicates
    are injected within a chunk (each chunk has its own vocabularies).
    """
    path = folder / f"corpus-{records}-seed{seed}-fw.jsonl"
    if path.exists():
        return path
    if records <= CHUNK:
        _generate(path, records, seed)
        return path
    chunks = -(-records // CHUNK)
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(corpus_file, [folder] * chunks, [CHUNK] * chunks, [seed + k for k in range(chunks)]))
    tmp = path.with_suffix(".tmp")
    written = 0
    with tmp.open("w", encoding="utf-8") as sink:
        for chunk, part in enumerate(parts):
            with part.open(encoding="utf-8") as rows:
                for line in rows:
                    if written == records:
                        break
                    if chunk:
                        row = json.loads(line)
                        task, number = row["id"].rsplit("-", 1)
                        row["id"] = f"{task}-{(chunk << 32) + int(number, 16):016x}"
                        line = json.dumps(row, ensure_ascii=False) + "\n"
                    sink.write(line)
                    written += 1
    tmp.rename(path)
    return path


def _generate(path: Path, records: int, seed: int) -> None:
    from synthetic import generate

    tmp = path.with_suffix(".tmp")
    start = clock()
    with tmp.open("w", encoding="utf-8") as sink:
        for row in generate(records, seed=seed):
            row["input"] = with_function_words(row["input"], row["input_language"])
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.rename(path)
    print(f"generated {records:,} rows in {clock() - start:.0f} s -> {path}", file=sys.stderr)


def write_plugins(root: Path, parts: int, corpus: Path) -> list[str]:
    """The synthbench_* source plugins: manifest, converter and a five-row sample each."""
    with corpus.open(encoding="utf-8") as rows:
        head = [next(rows) for _ in range(5 * parts)]
    names = []
    for part in range(parts):
        name = f"synthbench_{part}"
        folder = root / name
        (folder / "sample").mkdir(parents=True, exist_ok=True)
        (folder / "manifest.toml").write_text(
            MANIFEST.format(id=name, part=part, tasks=json.dumps(TASKS)), encoding="utf-8"
        )
        (folder / "converter.py").write_text(textwrap.dedent(CONVERTER), encoding="utf-8")
        (folder / "sample" / "corpus.jsonl").write_text("".join(head[part::parts]), encoding="utf-8")
        names.append(name)
    return names


def write_raw(corpus: Path, raw_root: Path, names: list[str], records: int) -> None:
    """Deal the first ``records`` rows of ``corpus`` round-robin into ``raw_root/<name>/corpus.jsonl``."""
    done = raw_root / ".complete"
    if done.exists():
        return
    handles = []
    for name in names:
        (raw_root / name).mkdir(parents=True, exist_ok=True)
        handles.append((raw_root / name / "corpus.jsonl").open("w", encoding="utf-8"))
    with corpus.open(encoding="utf-8") as source:
        for n, line in enumerate(source):
            if n >= records:
                break
            handles[n % len(handles)].write(line)
    for handle in handles:
        handle.close()
    done.write_text("ok")


# -- children ----------------------------------------------------------------------------------------


def child_build(args: argparse.Namespace) -> None:
    from medsins.build import BuildOptions, build
    from medsins.stages.license import Profile

    options = BuildOptions(
        raw_root=Path(args.raw_root),
        sources=tuple(args.names.split(",")),
        out=Path(args.out),
        work=Path(args.work),
        workers=args.workers,
        profile=Profile.PUBLIC,
        quiet=True,
    )
    result = build(options)
    print(json.dumps({"timings": result.timings, "counts": result.counts["total"], "vmhwm_mib": vm_hwm_mib()}))


def _raw_files(raw_root: Path) -> list[Path]:
    return sorted(raw_root.glob("*/corpus.jsonl"))


def child_datasketch(args: argparse.Namespace) -> None:
    from datasketch import MinHash, MinHashLSH

    from medsins.stages.shingles import normalise, shingle_normalised

    inputs: list[str] = []
    for path in _raw_files(Path(args.raw_root)):
        with path.open(encoding="utf-8") as rows:
            inputs += [json.loads(line)["input"] for line in rows]
    times: dict[str, float] = {}
    start = clock()
    distinct = sorted(set(map(normalise, inputs)))
    del inputs
    times["normalise + exact"] = clock() - start
    mark = clock()
    options: dict = {"num_perm": 128, "seed": 1}
    if args.hash == "mmh3":  # the build's shingle hash (MurmurHash3 x86_32, unsigned), through the C extension
        import functools

        import mmh3

        options["hashfunc"] = functools.partial(mmh3.hash, signed=False)
    sketches = list(MinHash.generator((shingle_normalised(text) for text in distinct), **options))
    times["shingles + MinHash"] = clock() - mark
    mark = clock()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    with lsh.insertion_session() as session:
        for key, sketch in enumerate(sketches):
            session.insert(key, sketch, check_duplication=False)
    times["MinHashLSH insert"] = clock() - mark
    mark = clock()
    parent = list(range(len(distinct)))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for key, sketch in enumerate(sketches):
        for other in lsh.query(sketch):
            if other > key and sketch.jaccard(sketches[other]) >= 0.8:
                a, b = find(key), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    clusters = len({find(node) for node in range(len(distinct))})
    times["query + verify + union-find"] = clock() - mark
    times["total"] = clock() - start
    print(json.dumps({"timings": times, "distinct": len(distinct), "clusters": clusters,
                      "lsh": [lsh.b, lsh.r], "vmhwm_mib": vm_hwm_mib()}))


def child_io(args: argparse.Namespace) -> None:
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = clock()
    rows = 0
    for path in _raw_files(Path(args.raw_root)):
        table = pj.read_json(path)
        rows += table.num_rows
        pq.write_table(table, out / f"{path.parent.name}.parquet", compression="zstd")
        del table
    seconds = clock() - start
    print(json.dumps({"timings": {"total": seconds}, "rows": rows, "vmhwm_mib": vm_hwm_mib()}))


# -- the parent: run children, sample memory ---------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (via /proc/<pid>/task/<tid>/children)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_child(mode: str, extra: list[str], env: dict[str, str], script: str = __file__) -> dict:
    """Run ``script`` (this one by default) in ``mode`` in a child process.

    Returns the JSON object of its last stdout line, plus the sampled peak RSS of the child's
    whole process tree, its largest number of processes and its wall time (``child_wall``).
    """
    command = [sys.executable, str(Path(script).resolve()), mode, *extra]
    start = clock()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    peak = {"tree": 0, "processes": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            pids = _tree(proc.pid)
            peak["tree"] = max(peak["tree"], sum(_rss_kib(p) for p in pids))
            peak["processes"] = max(peak["processes"], len(pids))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    stop.set()
    sampler.join()
    wall = clock() - start
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed ({proc.returncode}):\n{stderr[-4000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["tree_peak_mib"] = peak["tree"] / 1024
    result["processes"] = peak["processes"]
    result["child_wall"] = wall
    return result


def measure(n: int, args: argparse.Namespace, corpus: Path, names: list[str], env: dict[str, str]) -> list[str]:
    base = args.dir / f"n{n}"
    raw_root = base / "raw"
    raw_root.mkdir(parents=True, exist_ok=True)
    write_raw(corpus, raw_root, names, n)
    raw_bytes = sum(p.stat().st_size for p in _raw_files(raw_root))
    results: dict[str, dict] = {}
    for workers in args.workers:
        out, work = base / f"release-w{workers}", base / f"work-w{workers}"
        for folder in (out, work):
            shutil.rmtree(folder, ignore_errors=True)
        results[f"build-w{workers}"] = run_child(
            "child-build",
            ["--raw-root", str(raw_root), "--names", ",".join(names), "--out", str(out), "--work", str(work),
             "--workers", str(workers)],
            env,
        )
        print(f"N={n:,} build workers={workers}: {results[f'build-w{workers}']}", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if not args.skip_datasketch:
        for hash_name in args.datasketch_hash:
            name = "datasketch" if hash_name == "sha1" else f"datasketch-{hash_name}"
            results[name] = run_child("child-datasketch", ["--raw-root", str(raw_root), "--hash", hash_name], env)
            print(f"N={n:,} {name}: {results[name]}", file=sys.stderr)
    results["io"] = run_child("child-io", ["--raw-root", str(raw_root), "--out", str(base / "io-floor")], env)
    print(f"N={n:,} I/O floor: {results['io']}", file=sys.stderr)
    shutil.rmtree(base / "io-floor", ignore_errors=True)
    with (args.dir / "results.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps({"records": n, "raw_bytes": raw_bytes, "date": datetime.date.today().isoformat(),
                              **results}) + "\n")
    return report(n, raw_bytes, results, args)


def report(n: int, raw_bytes: int, results: dict[str, dict], args: argparse.Namespace) -> list[str]:
    io = results["io"]["timings"]["total"]
    ds = results.get("datasketch")
    lines = [f"### {n:,} records ({raw_bytes / 2**20:,.0f} MiB of raw JSONL, {args.sources} sources)", ""]
    stages = ("convert", "filter", "dedup", "assemble", "release", "total")
    mm = results.get("datasketch-mmh3")
    lines += ["| run | " + " | ".join(stages) + " | peak RSS main (VmHWM) | peak RSS tree (sum) | "
              "÷ datasketch dedup (SHA-1) | ÷ datasketch dedup (mmh3) | ÷ I/O floor |",
              "|---|" + "---:|" * (len(stages) + 5)]
    for workers in args.workers:
        build = results[f"build-w{workers}"]
        t = build["timings"]
        cells = [f"{t.get(s, 0):.1f}" for s in stages]
        vs_ds = f"{t['total'] / ds['timings']['total']:.2f}" if ds else "–"
        vs_mm = f"{t['total'] / mm['timings']['total']:.2f}" if mm else "–"
        lines.append(
            f"| build, --workers {workers} | " + " | ".join(cells)
            + f" | {build['vmhwm_mib']:,.0f} MiB | {build['tree_peak_mib']:,.0f} MiB | {vs_ds} | {vs_mm} | "
            f"{t['total'] / io:.1f} |"
        )
    lines.append("")
    counts = results[f"build-w{args.workers[0]}"]["counts"]
    lines.append("ledger (total): " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    if ds:
        dt = ds["timings"]
        lines.append(
            f"datasketch dedup alone: {dt['total']:.1f} s (normalise + exact {dt['normalise + exact']:.1f}, "
            f"shingles + MinHash {dt['shingles + MinHash']:.1f}, LSH insert {dt['MinHashLSH insert']:.1f}, "
            f"query + verify + union-find {dt['query + verify + union-find']:.1f}; {ds['distinct']:,} distinct "
            f"inputs, LSH {ds['lsh'][0]}×{ds['lsh'][1]}), peak RSS {ds['vmhwm_mib']:,.0f} MiB"
        )
    other = results.get("datasketch-mmh3")
    if other:
        ot = other["timings"]
        lines.append(
            f"datasketch dedup alone with the build's shingle hash (hashfunc=mmh3): {ot['total']:.1f} s "
            f"(shingles + MinHash {ot['shingles + MinHash']:.1f}), peak RSS {other['vmhwm_mib']:,.0f} MiB"
        )
    lines.append(f"I/O floor (pyarrow.json read + zstd Parquet write): {io:.1f} s, "
                 f"peak RSS {results['io']['vmhwm_mib']:,.0f} MiB")
    lines.append("")
    (args.dir / f"report-{n}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode")
    for mode in ("child-build", "child-datasketch", "child-io"):
        child = sub.add_parser(mode)
        child.add_argument("--raw-root", required=True)
        child.add_argument("--names", default="")
        child.add_argument("--out", default="")
        child.add_argument("--work", default="")
        child.add_argument("--workers", type=int, default=1)
        child.add_argument("--hash", default="sha1")
    parser.add_argument("--records", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sources", type=int, default=4, help="synthetic source plugins the rows are dealt to")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench_build"))
    parser.add_argument("--skip-datasketch", action="store_true")
    parser.add_argument("--datasketch-hash", nargs="+", default=["sha1", "mmh3"],
                        help="shingle hashes for the datasketch peer: sha1 (its default), mmh3 (the build's)")
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    args = parser.parse_args()
    if args.mode == "child-build":
        return child_build(args)
    if args.mode == "child-datasketch":
        return child_datasketch(args)
    if args.mode == "child-io":
        return child_io(args)
    args.dir.mkdir(parents=True, exist_ok=True)
    corpus = corpus_file(args.dir, max(args.records), args.seed)
    plugins = args.dir / "plugins"
    names = write_plugins(plugins, args.sources, corpus)
    env = {**os.environ, "MEDSINS_SOURCE_PATH": str(plugins), "PYTHONHASHSEED": "0"}
    lines = [f"Measured {datetime.date.today().isoformat()} on {machine()}.", ""]
    for n in sorted(args.records):
        lines += measure(n, args, corpus, names, env)
        print("\n".join(lines), flush=True)
    (args.dir / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
