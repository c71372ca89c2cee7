"""``medsins build``: raw corpora → release folder, resumable and deterministic.

Stages (each writes into the work folder and leaves a ``done.json`` marker
whose key covers everything its output depends on, so a rerun after Ctrl-C or
``kill -9`` redoes only what had not finished)::

    convert   per source: converter → validated, tagged records     convert/<source>/
    filter    per source: license profile, then language check       filter/<source>/
    dedup     all sources: exact + MinHash near-dup, decontamination  dedup/
    assemble  kept records sorted by (task, split, id)               kept.parquet
    release   Parquet shards + card + manifest (atomic rename)        <out>/

Every record that enters has exactly one fate in the ledger (``ledger.jsonl``
in the work folder): kept, invalid, license, language, duplicate or
contaminates; the counts per source and in total are in ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from medsins import __version__
from medsins.convert import convert_source
from medsins.errors import MedsinsError
from medsins.plugins import Source, catalog
from medsins.records import AccessLevel, Record
from medsins.release.manifest import FateCounts, ReleaseManifest, SourceProvenance, sha256_file
from medsins.release.schema import RECORD_SCHEMA, records_to_table
from medsins.stages.license import Profile, license_block, strictest

#: Records per Arrow batch in every streaming stage.
BATCH = 20_000
FATES = ("kept", "invalid", "license", "language", "duplicate", "contaminates")


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build depends on besides the raw files (part of provenance)."""

    raw_root: Path | None = None
    sources: tuple[str, ...] = ()
    out: Path = Path("release")
    work: Path | None = None
    profile: Profile = Profile.PUBLIC
    workers: int = 1
    language_filter: bool = True
    dedup_threshold: float = 0.8
    num_perm: int = 128
    instructions: Path | None = None  # upstream RewriteDefinitions.json, attached to the release
    quiet: bool = False

    @property
    def work_dir(self) -> Path:
        """The work folder (default: ``<out>.work`` beside the release)."""
        return self.work or self.out.with_name(self.out.name + ".work")

    def provenance(self) -> dict[str, Any]:
        """Options as recorded in ``manifest.json`` (no machine-specific paths)."""
        return {
            "raw": "bundled samples" if self.raw_root is None else "raw root",
            "sources": list(self.sources),
            "profile": self.profile.value,
            "language_filter": self.language_filter,
            "dedup_threshold": self.dedup_threshold,
            "num_perm": self.num_perm,
            "upstream_instructions": sha256_file(self.instructions) if self.instructions else None,
        }


@dataclass
class BuildResult:
    """What a build produced: the release folder, its manifest, the ledger."""

    release: Path
    manifest: ReleaseManifest
    ledger: Path
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Wall seconds per stage (convert, filter, dedup, assemble, release) and in total.
    timings: dict[str, float] = field(default_factory=dict)


# -- small utilities ----------------------------------------------------------------


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _done(folder: Path) -> dict[str, Any] | None:
    marker = folder / "done.json"
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _mark_done(folder: Path, payload: dict[str, Any]) -> None:
    # Written last and renamed into place: a marker exists only for complete output.
    tmp = folder / "done.json.tmp"
    tmp.write_text(json.dumps(payload, sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / "done.json")


def _fresh(folder: Path) -> Path:
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


class _ParquetOut:
    """Buffered Parquet writer of records (bounded memory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = pq.ParquetWriter(path, RECORD_SCHEMA, compression="zstd")
        self._tables: list[pa.Table] = []
        self._rows = 0
        self.count = 0

    def write_table(self, table: pa.Table) -> None:
        if table.num_rows:
            self._tables.append(table)
            self._rows += table.num_rows
            self.count += table.num_rows
            if self._rows >= BATCH:
                self.flush()

    def flush(self) -> None:
        if self._tables:
            self._writer.write_table(pa.concat_tables(self._tables))
            self._tables, self._rows = [], 0

    def close(self) -> None:
        self.flush()
        self._writer.close()


def _ledger_line(handle: Any, **entry: Any) -> None:
    handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")


# -- stage: convert ------------------------------------------------------------------


def _convert_key(source: Source, raw: Path) -> tuple[str, dict[str, str]]:
    files = {p.relative_to(raw).as_posix(): sha256_file(p) for p in source.raw_files(raw)}
    converter = source.root / "converter.py"
    code = sha256_file(converter) if converter.exists() else type(source).__qualname__
    return _digest(__version__, source.manifest.model_dump(mode="json"), files, code), files


def convert_stage(source_id: str, raw: Path, work: Path) -> dict[str, Any]:
    """Convert one source into ``work/convert/<source>/`` (skipped when already done)."""
    source = catalog().get(source_id)
    folder = work / "convert" / source_id
    key, files = _convert_key(source, raw)
    done = _done(folder)
    if done and done.get("key") == key:
        return done
    _fresh(folder)
    out = _ParquetOut(folder / "records.parquet")
    pending: list[Record] = []
    rejected = 0
    with (folder / "rejected.jsonl").open("w", encoding="utf-8") as bad:
        for item in convert_source(source, raw, catalog().registry):
            if isinstance(item, Record):
                pending.append(item)
                if len(pending) >= BATCH:
                    out.write_table(records_to_table(pending))
                    pending = []
            else:
                rejected += 1
                _ledger_line(bad, **item.to_dict())
        out.write_table(records_to_table(pending))
    out.close()
    payload = {"key": key, "records": out.count, "rejected": rejected, "raw_files": files}
    _mark_done(folder, payload)
    return payload


# -- stage: filter (license, language) ----------------------------------------------


def _access_by_task(source: Source) -> Callable[[str], AccessLevel]:
    """The access level a record of ``source`` is held to, per task id.

    Native sources answer for themselves; task-file sources inherit the stricter
    level of the task's native corpus (see :mod:`medsins.stages.license`).
    """
    found = catalog()
    cache: dict[str, AccessLevel] = {}

    def access(task_id: str) -> AccessLevel:
        if task_id not in cache:
            level = source.manifest.access
            native = found.registry.get(task_id).source if task_id in found.registry else None
            if not source.manifest.native and native in found.sources:
                level = strictest(level, found.get(native).manifest.access)
            cache[task_id] = level
        return cache[task_id]

    return access


def filter_stage(source_id: str, work: Path, profile: Profile, language: bool) -> dict[str, Any]:
    """License then language filter of one source into ``work/filter/<source>/``."""
    source = catalog().get(source_id)
    convert_done = _done(work / "convert" / source_id)
    if convert_done is None:
        raise MedsinsError(f"internal: {source_id} was not converted")
    folder = work / "filter" / source_id
    # Access levels of every source matter: task-file records inherit their native corpus's.
    levels = sorted((s.id, s.manifest.access.value) for s in catalog())
    key = _digest(convert_done["key"], profile.value, language, levels)
    done = _done(folder)
    if done and done.get("key") == key:
        return done
    _fresh(folder)
    counts: Counter[str] = Counter()
    access_of = _access_by_task(source)
    checker = None
    if language:
        from medsins.stages.language import LanguageFilter

        checker = LanguageFilter()
    out = _ParquetOut(folder / "records.parquet")
    with (folder / "ledger.jsonl").open("w", encoding="utf-8") as ledger:
        parquet = pq.ParquetFile(work / "convert" / source_id / "records.parquet")
        for batch in parquet.iter_batches(batch_size=BATCH):
            table = pa.Table.from_batches([batch], schema=RECORD_SCHEMA)
            cols = table.select(["id", "task_id", "split", "license"]).to_pydict()
            keep = [True] * table.num_rows
            for i, license_id in enumerate(cols["license"]):
                reason = license_block(profile, access_of(cols["task_id"][i]), license_id)
                if reason:
                    keep[i] = False
                    counts["license"] += 1
                    _ledger_line(ledger, id=cols["id"][i], source=source_id, task_id=cols["task_id"][i],
                                 split=cols["split"][i], fate="license", detail=reason)
            if checker is not None and any(keep):
                idx = [i for i, k in enumerate(keep) if k]
                sub = table.take(idx).select(["input", "output", "input_language", "output_language"]).to_pydict()
                verdicts = checker.check(sub["input"], sub["output"], sub["input_language"], sub["output_language"])
                for i, verdict in zip(idx, verdicts, strict=True):
                    if verdict is not None:
                        keep[i] = False
                        counts["language"] += 1
                        _ledger_line(ledger, id=cols["id"][i], source=source_id, task_id=cols["task_id"][i],
                                     split=cols["split"][i], fate="language", detail=verdict.reason)
            out.write_table(table.filter(pa.array(keep, type=pa.bool_())))
    out.close()
    payload = {"key": key, "kept": out.count, **counts}
    _mark_done(folder, payload)
    return payload


# -- stage: dedup ---------------------------------------------------------------------


def dedup_stage(source_ids: list[str], work: Path, options: BuildOptions) -> dict[str, tuple[str, str]]:
    """Near-duplicate and contamination drops across every source: ``{id: (kept_id, kind)}``."""
    from medsins.stages.dedup import find_duplicates

    folder = work / "dedup"
    keys = [(_done(work / "filter" / s) or {}).get("key") for s in source_ids]
    key = _digest(keys, options.dedup_threshold, options.num_perm)
    done = _done(folder)
    drops_path = folder / "drops.jsonl"
    if done and done.get("key") == key:
        return _read_drops(drops_path)
    _fresh(folder)
    ids: list[str] = []
    inputs: list[str] = []
    outputs: list[str] = []
    is_test: list[bool] = []
    for source_id in source_ids:
        parquet = pq.ParquetFile(work / "filter" / source_id / "records.parquet")
        for batch in parquet.iter_batches(batch_size=BATCH, columns=["id", "input", "output", "split"]):
            cols = batch.to_pydict()
            ids += cols["id"]
            inputs += cols["input"]
            outputs += cols["output"]
            is_test += [s == "test" for s in cols["split"]]
    drops = find_duplicates(ids, inputs, outputs, is_test, threshold=options.dedup_threshold,
                            num_perm=options.num_perm)
    with drops_path.open("w", encoding="utf-8") as handle:
        for dropped in sorted(drops):
            kept_id, kind = drops[dropped]
            _ledger_line(handle, id=dropped, kept=kept_id, kind=kind)
    _mark_done(folder, {"key": key, "dropped": len(drops)})
    return _read_drops(drops_path)


def _read_drops(path: Path) -> dict[str, tuple[str, str]]:
    drops = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            drops[entry["id"]] = (entry["kept"], entry["kind"])
    return drops


# -- stage: assemble --------------------------------------------------------------------


def assemble_stage(
    source_ids: list[str], work: Path, drops: dict[str, tuple[str, str]], ledger: Any
) -> tuple[Path, Counter[tuple[str, str]]]:
    """Write kept records sorted by (task number, split, id) into ``work/kept.parquet``.

    Records are partitioned by task first so sorting holds one task in memory,
    never the whole corpus. Returns the file and (source, fate) counts of the
    dedup decisions and kept records.
    """
    folder = _fresh(work / "assemble")
    counts: Counter[tuple[str, str]] = Counter()
    parts: dict[str, list[Path]] = defaultdict(list)
    for source_id in source_ids:
        writers: dict[str, _ParquetOut] = {}
        parquet = pq.ParquetFile(work / "filter" / source_id / "records.parquet")
        for batch in parquet.iter_batches(batch_size=BATCH):
            table = pa.Table.from_batches([batch], schema=RECORD_SCHEMA)
            cols = table.select(["id", "task_id", "split"]).to_pydict()
            keep = []
            for rid, task_id, split in zip(cols["id"], cols["task_id"], cols["split"], strict=True):
                drop = drops.get(rid)
                if drop is None:
                    keep.append(True)
                    counts[(source_id, "kept")] += 1
                    continue
                keep.append(False)
                kind = drop[1]
                counts[(source_id, kind)] += 1
                verb = "duplicate-of" if kind == "duplicate" else "contaminates"
                _ledger_line(ledger, id=rid, source=source_id, task_id=task_id, split=split,
                             fate=kind, detail=f"{verb} {drop[0]}")
            kept = table.filter(pa.array(keep, type=pa.bool_()))
            for task_id in sorted(set(kept.column("task_id").to_pylist())):
                part = kept.filter(pa.compute.equal(kept.column("task_id"), task_id))
                if task_id not in writers:
                    path = folder / f"{task_id}.{source_id}.parquet"
                    writers[task_id] = _ParquetOut(path)
                    parts[task_id].append(path)
                writers[task_id].write_table(part)
        for writer in writers.values():
            writer.close()
    kept_path = work / "kept.parquet"
    tmp = work / "kept.parquet.tmp"
    out = _ParquetOut(tmp)
    for task_id in sorted(parts, key=lambda t: int(t[4:])):
        table = pa.concat_tables([pq.read_table(p, schema=RECORD_SCHEMA) for p in sorted(parts[task_id])])
        out.write_table(table.sort_by([("split", "descending"), ("id", "ascending")]))
        out.flush()
    out.close()
    os.replace(tmp, kept_path)
    return kept_path, counts


# -- orchestration --------------------------------------------------------------------


def select_sources(options: BuildOptions) -> list[tuple[str, Path]]:
    """The (source id, raw folder) pairs a build covers."""
    found = catalog()
    if found.problems:
        raise MedsinsError("broken source plugins: " + "; ".join(found.problems))
    wanted = list(options.sources) or sorted(found.sources)
    for name in wanted:
        found.get(name)  # unknown names raise with close matches
    pairs = []
    for name in sorted(wanted):
        source = found.get(name)
        if options.raw_root is None:
            pairs.append((name, source.sample_dir))
            continue
        raw = options.raw_root / name
        if raw.is_dir():
            pairs.append((name, raw))
        elif options.sources:
            raise MedsinsError(f"--raw-root {options.raw_root}: no folder {name}/ for source {name}")
    if not pairs:
        raise MedsinsError(f"--raw-root {options.raw_root}: no folder named after a known source")
    return pairs


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int], Callable[[], None]]]:
    """A per-stage progress bar on a terminal; nothing otherwise."""
    if quiet or not sys.stderr.isatty():
        yield lambda _name, _total: (lambda: None)
        return
    from rich.progress import Progress

    with Progress(transient=False) as progress:

        def stage(name: str, total: int) -> Callable[[], None]:
            task = progress.add_task(name, total=total)
            return lambda: progress.advance(task)

        yield stage


def build(options: BuildOptions) -> BuildResult:
    """Run the whole build; see the module docstring for the stages."""
    from medsins.release.writer import write_release

    pairs = select_sources(options)
    ids = [name for name, _ in pairs]
    work = options.work_dir
    work.mkdir(parents=True, exist_ok=True)
    found = catalog()
    workers = max(1, options.workers)
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    with _progress(options.quiet) as stage:
        with clock("convert"):
            convert_done = _run_parallel(
                "convert", stage, workers, convert_stage, [(name, raw, work) for name, raw in pairs]
            )
        with clock("filter"):
            filter_done = _run_parallel(
                "filter", stage, workers, filter_stage,
                [(name, work, options.profile, options.language_filter) for name in ids],
            )
        step = stage("dedup", 1)
        with clock("dedup"):
            drops = dedup_stage(ids, work, options)
        step()
        ledger_path = work / "ledger.jsonl"
        with ledger_path.open("w", encoding="utf-8") as ledger:
            for name in ids:
                for line in (work / "convert" / name / "rejected.jsonl").open(encoding="utf-8"):
                    entry = json.loads(line)
                    _ledger_line(ledger, id=None, source=name, task_id=entry.get("task_id"), split=None,
                                 fate="invalid", detail=f"{entry['origin']}: {entry['reason']}")
                for line in (work / "filter" / name / "ledger.jsonl").open(encoding="utf-8"):
                    ledger.write(line)
            step = stage("assemble", 1)
            with clock("assemble"):
                kept_path, fate_counts = assemble_stage(ids, work, drops, ledger)
            step()
        counts = _count(ids, convert_done, filter_done, fate_counts)
        manifest = ReleaseManifest(
            medsins_version=__version__,
            profile=options.profile.value,
            publishable=options.profile.publishable,
            options=options.provenance(),
            sources={
                name: SourceProvenance(
                    license=found.get(name).manifest.license,
                    access=found.get(name).manifest.access.value,
                    version=found.get(name).manifest.version,
                    native=found.get(name).manifest.native,
                    raw_files=convert_done[i]["raw_files"],
                )
                for i, name in enumerate(ids)
            },
            counts={k: FateCounts(**v) for k, v in counts.items()},
        )
        for name, fates in counts.items():
            if not FateCounts(**fates).balanced():
                raise MedsinsError(f"internal: ledger of {name} does not add up: {fates}")
        if counts["total"]["kept"] == 0:
            dropped = ", ".join(f"{fate} {n}" for fate, n in counts["total"].items() if fate != "entered" and n)
            raise MedsinsError(
                f"nothing to release: all {counts['total']['entered']} records were dropped ({dropped}); "
                f"see {ledger_path}"
            )
        upstream = None
        if options.instructions is not None:
            from medsins.upstream_instructions import read_instruction_variants

            upstream = read_instruction_variants(options.instructions)
        step = stage("release", 1)
        with clock("release"):
            manifest = write_release(
                kept_path, options.out, registry=found.registry,
                sources={name: found.get(name).manifest for name in ids}, manifest=manifest,
                upstream_instructions=upstream,
            )
        step()
    timings["total"] = time.perf_counter() - clock.start
    return BuildResult(options.out, manifest, ledger_path, counts, timings)


class _Clock:
    """Wall seconds per stage, into ``timings`` (reported by ``BuildResult.timings``)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.start = time.perf_counter()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


def _run_parallel(
    name: str, stage: Callable[[str, int], Callable[[], None]], workers: int,
    func: Callable[..., dict[str, Any]], jobs: list[tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """Run per-source jobs, in parallel when asked; results in job order (determinism)."""
    advance = stage(name, len(jobs))
    if workers == 1 or len(jobs) == 1:
        results = []
        for job in jobs:
            results.append(func(*job))
            advance()
        return results
    # spawn, not fork: the parent may already run native thread pools (lingua, pyarrow),
    # and forking a multi-threaded process can deadlock the child.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(func, *job) for job in jobs]
        results = []
        for future in futures:
            results.append(future.result())
            advance()
        return results


def _count(
    ids: list[str], convert_done: list[dict[str, Any]], filter_done: list[dict[str, Any]],
    fate_counts: Counter[tuple[str, str]],
) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for name, conv, filt in zip(ids, convert_done, filter_done, strict=True):
        row = dict.fromkeys(FATES, 0)
        row["invalid"] = conv["rejected"]
        row["license"] = filt.get("license", 0)
        row["language"] = filt.get("language", 0)
        for fate in ("kept", "duplicate", "contaminates"):
            row[fate] = fate_counts[(name, fate)]
        row["entered"] = conv["records"] + conv["rejected"]
        counts[name] = row
    total = {fate: sum(c[fate] for c in counts.values()) for fate in ("entered", *FATES)}
    counts["total"] = total
    return counts


def summary_rows(counts: dict[str, dict[str, int]]) -> list[list[object]]:
    """Rows of the final summary table (one per source, then the total)."""
    return [[name, c["entered"], *(c[f] for f in FATES)] for name, c in counts.items()]
