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
import logging
import math
import multiprocessing
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from medsins import __version__, progress
from medsins.convert import convert_source
from medsins.errors import MedsinsError
from medsins.ledger import FATES, LEDGER_NAME, LedgerWriter, read_lines
from medsins.ledger import entry as ledger_entry
from medsins.ledger import write_line as write_ledger_line
from medsins.limits import Limits, applied, current
from medsins.plugins import Source, catalog
from medsins.records import AccessLevel, AnswerFormat, Record
from medsins.release.manifest import FateCounts, ReleaseManifest, SourceProvenance, sha256_file
from medsins.release.schema import RECORD_COLUMNS, RECORD_SCHEMA, open_records
from medsins.stages.identity import CONFLICT, DUPLICATE, IdentityIndex
from medsins.stages.license import Profile, license_block, strictest

#: Records per Arrow batch in every streaming stage.
BATCH = 20_000
#: Compression of the stage outputs kept for resuming (convert/, filter/).
WORK_COMPRESSION = "zstd"
#: Compression of assemble's scratch files, read once and deleted: none (measured at 1M
#: records: assemble 12 s uncompressed vs 17-22 s with lz4/zstd on the shared 2-core machine).
SCRATCH_COMPRESSION = "none"
#: A work-file writer flushes its buffered records at BATCH rows or this many bytes.
FLUSH_BYTES = 8 << 20
#: How many unreadable spots per source the manifest and the card list (all are in the work folder).
UNREADABLE_LISTED = 50


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
    #: Release even when parts of the raw files could not be read (the manifest and card list them).
    allow_incomplete: bool = False
    #: Reader limits (:mod:`medsins.limits`); default: those in force when the options are made.
    limits: Limits = field(default_factory=current)
    #: The Hub repository ``ORG/NAME`` the card and croissant.json name (default: medsins.load.DEFAULT_REPO_ID).
    #: Not part of provenance: it changes how the release describes itself, not its records.
    repo_id: str | None = None

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
            "allow_incomplete": self.allow_incomplete,
            "limits": self.limits.key(),
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

    def __init__(self, path: Path, compression: str = WORK_COMPRESSION) -> None:
        self.path = path
        self._writer = pq.ParquetWriter(path, RECORD_SCHEMA, compression=compression)
        self._tables: list[pa.Table] = []
        self._rows = 0
        self._bytes = 0
        self.count = 0

    def write_table(self, table: pa.Table) -> None:
        if table.num_rows:
            self._tables.append(table)
            self._rows += table.num_rows
            self._bytes += table.nbytes
            self.count += table.num_rows
            # Bytes too, not only rows: assemble keeps one writer per task open at once.
            if self._rows >= BATCH or self._bytes >= FLUSH_BYTES:
                self.flush()

    def flush(self) -> None:
        if self._tables:
            self._writer.write_table(pa.concat_tables(self._tables))
            self._tables, self._rows, self._bytes = [], 0, 0

    def close(self) -> None:
        self.flush()
        self._writer.close()


def _json_line(handle: Any, **entry: Any) -> None:
    handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")


# -- stage: convert ------------------------------------------------------------------


def _convert_key(source: Source, raw: Path, reader_limits: Limits) -> tuple[str, dict[str, str]]:
    files = {p.relative_to(raw).as_posix(): sha256_file(p) for p in source.raw_files(raw)}
    converter = source.root / "converter.py"
    code = sha256_file(converter) if converter.exists() else type(source).__qualname__
    # The limits decide which items are rejected: raising one converts the source again.
    key = _digest(__version__, source.manifest.model_dump(mode="json"), files, code, reader_limits.key())
    return key, files


def convert_stage(source_id: str, raw: Path, work: Path, reader_limits: Limits | None = None) -> dict[str, Any]:
    """Convert one source into ``work/convert/<source>/`` (skipped when already done).

    Writes ``records.parquet`` (one record per id: see :mod:`medsins.stages.identity`),
    ``ledger.jsonl`` (rejected items, repeats and conflicts) and ``unreadable.jsonl``
    (spots of the raw files that could not be read). The readers run under
    ``reader_limits`` (default: the limits in force), also in a worker process.
    """
    reader_limits = reader_limits or current()
    with applied(reader_limits):
        return _convert(source_id, raw, work, reader_limits)


def _convert(source_id: str, raw: Path, work: Path, reader_limits: Limits) -> dict[str, Any]:
    source = catalog().get(source_id)
    folder = work / "convert" / source_id
    key, files = _convert_key(source, raw, reader_limits)
    done = _done(folder)
    if done and done.get("key") == key:
        progress.records(done.get("records", 0))
        return done
    _fresh(folder)
    scratch = _ParquetOut(folder / "converted.parquet", SCRATCH_COMPRESSION)
    identity = IdentityIndex()
    pending: list[Record] = []
    rejected = 0
    unreadable: Counter[str] = Counter()
    seen_origins: Counter[str] = Counter()
    with (folder / "ledger.jsonl").open("w", encoding="utf-8") as ledger, \
            (folder / "unreadable.jsonl").open("w", encoding="utf-8") as unread:
        for item in convert_source(source, raw, catalog().registry):
            if isinstance(item, Record):
                identity.add(item.id, item.input, item.output)
                pending.append(item)
                if len(pending) >= BATCH:
                    scratch.write_table(_records_table(pending))
                    progress.records(len(pending))
                    pending = []
            elif item.unreadable:
                unreadable[item.origin.split(", ", 1)[0]] += 1
                unread.write(json.dumps({"origin": item.origin, "reason": item.reason}, ensure_ascii=False) + "\n")
            else:
                rejected += 1
                seen_origins[item.origin] += 1
                write_ledger_line(ledger, id=_rejected_id(source_id, item.origin, seen_origins[item.origin]),
                                  source=source_id, task_id=item.task_id, fate="invalid", origin=item.origin,
                                  reason=item.reason)
        scratch.write_table(_records_table(pending))
        progress.records(len(pending))
        scratch.close()
        repeats, collisions = _resolve_repeats(identity, folder, ledger, source_id)
    # "records": in records.parquet, after the identity check removed repeats and conflicts.
    payload = {"key": key, "records": scratch.count - sum(repeats.values()), "rejected": rejected, "raw_files": files,
               "duplicate": repeats[DUPLICATE], "conflict": repeats[CONFLICT], "id_collisions": collisions,
               "unreadable": dict(sorted(unreadable.items()))}
    _mark_done(folder, payload)
    return payload


def _rejected_id(source_id: str, origin: str, occurrence: int) -> str:
    """The ledger id of a raw item that never became a record (stable: its source and origin)."""
    key = f"{source_id}\x1f{origin}\x1f{occurrence}".encode()
    return f"invalid-{hashlib.blake2b(key, digest_size=8).hexdigest()}"


def _resolve_repeats(
    identity: IdentityIndex, folder: Path, ledger: Any, source_id: str
) -> tuple[Counter[str], list[str]]:
    """Make ids unique: ``converted.parquet`` → ``records.parquet`` without repeats and conflicts.

    Returns the numbers of records dropped as repeats and as conflicts, and the
    origins of kept records whose raw id was shared with a different item
    (converter defects ``check-source`` reports).
    """
    converted, target = folder / "converted.parquet", folder / "records.parquet"
    groups = identity.groups()
    if not groups:
        os.replace(converted, target)
        return Counter(), []
    firsts = {int(g[0]) for g in groups}
    members = np.sort(np.concatenate(groups))
    seen: dict[int, dict[str, Any]] = {}  # row -> id, task_id, split, origin of every group member
    row = 0
    for batch in open_records(converted).iter_batches(batch_size=BATCH, columns=["id", "task_id", "split", "origin"]):
        lo, hi = np.searchsorted(members, [row, row + batch.num_rows])
        if hi > lo:
            picked = batch.take(pa.array(members[lo:hi] - row)).to_pylist()
            seen.update(zip(members[lo:hi].tolist(), picked, strict=True))
        row += batch.num_rows
    resolutions, collisions = identity.resolve({r: seen[r]["id"] for r in firsts})
    dropped: Counter[str] = Counter()
    for r, res in sorted(resolutions.items()):
        if res.fate == "kept":
            continue
        dropped[res.fate] += 1
        other = seen[res.other]  # type: ignore[index]
        other_id = resolutions[res.other].id  # type: ignore[index]
        if res.fate == DUPLICATE:
            reason = f"repeat of {other_id} ({other['origin']}): same input and output"
        else:
            reason = f"same raw id and input as {other_id} ({other['origin']}) but a different output"
        write_ledger_line(ledger, id=res.id, source=source_id, task_id=seen[r]["task_id"], split=seen[r]["split"],
                          fate=res.fate, kept_id=other_id, origin=seen[r]["origin"], reason=reason)
    out = _ParquetOut(target)
    row = 0
    for batch in open_records(converted).iter_batches(batch_size=BATCH):
        table = pa.Table.from_batches([batch], schema=RECORD_SCHEMA)
        lo, hi = np.searchsorted(members, [row, row + table.num_rows])
        if hi > lo:
            keep = np.ones(table.num_rows, dtype=bool)
            ids = table.column("id").to_pylist()
            for r in members[lo:hi].tolist():
                res = resolutions[r]
                keep[r - row] = res.fate == "kept"
                ids[r - row] = res.id
            table = table.set_column(0, RECORD_SCHEMA.field("id"), pa.array(ids, pa.string())).filter(pa.array(keep))
        out.write_table(table)
        row += batch.num_rows
    out.close()
    converted.unlink()
    return dropped, [f"{seen[r]['origin']} (raw id of {seen[first]['origin']})" for r, first in collisions]


def _records_table(records: list[Record]) -> pa.Table:
    """The same table as :func:`~medsins.release.schema.records_to_table`, column by column.

    Reads the validated models' attributes instead of ``model_dump`` per record:
    measured 6 µs a record instead of 15 µs (40 % of the convert stage).
    """
    columns: dict[str, list[Any]] = {}
    for name in RECORD_COLUMNS:
        values = [getattr(record, name) for record in records]
        if values and isinstance(values[0], Enum):
            values = [value.value for value in values]
        columns[name] = values
    return pa.Table.from_pydict(columns, schema=RECORD_SCHEMA)


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
        progress.records(convert_done.get("records", 0))
        return done
    _fresh(folder)
    counts: Counter[str] = Counter()
    access_of = _access_by_task(source)
    checker = None
    if language:
        from medsins.stages.language import LanguageFilter

        checker = LanguageFilter()
    out = _ParquetOut(folder / "records.parquet")
    reasons: dict[str, str | None] = {}  # license decision per (task, license): a handful per source
    with (folder / "ledger.jsonl").open("w", encoding="utf-8") as ledger:
        parquet = open_records(work / "convert" / source_id / "records.parquet")
        for batch in parquet.iter_batches(batch_size=BATCH):
            progress.records(batch.num_rows)
            table = pa.Table.from_batches([batch], schema=RECORD_SCHEMA)
            # License: decided once per distinct (task, license) pair, applied as a mask.
            pairs = pc.binary_join_element_wise(table.column("task_id"), table.column("license"), "\x1f")
            encoded = pc.dictionary_encode(pairs).combine_chunks()
            for pair in encoded.dictionary.to_pylist():
                if pair not in reasons:
                    task_id, license_id = pair.split("\x1f", 1)
                    reasons[pair] = license_block(profile, access_of(task_id), license_id)
            blocked = np.array([reasons[p] is not None for p in encoded.dictionary.to_pylist()], dtype=bool)
            codes = encoded.indices.to_numpy(zero_copy_only=False)
            keep = ~blocked[codes] if len(blocked) else np.ones(table.num_rows, dtype=bool)
            fates: dict[int, tuple[str, str]] = {}
            for i in np.flatnonzero(~keep).tolist():
                fates[i] = ("license", reasons[encoded.dictionary[codes[i]].as_py()] or "")
            if checker is not None and keep.any():
                idx = np.flatnonzero(keep)
                sub = table.select(["input", "output", "input_language", "output_language"])
                if len(idx) < table.num_rows:
                    sub = sub.take(pa.array(idx))
                cols = sub.to_pydict()
                verdicts = checker.check(cols["input"], cols["output"], cols["input_language"],
                                         cols["output_language"])
                for i, verdict in zip(idx.tolist(), verdicts, strict=True):
                    if verdict is not None:
                        keep[i] = False
                        fates[i] = ("language", verdict.reason)
            if fates:
                # Ledger lines for the dropped records only: license drops, then language, in record order.
                rows = sorted(fates, key=lambda i: (fates[i][0] != "license", i))
                dropped = table.select(["id", "task_id", "split", "origin"]).take(pa.array(rows)).to_pydict()
                for k, i in enumerate(rows):
                    fate, detail = fates[i]
                    counts[fate] += 1
                    write_ledger_line(ledger, id=dropped["id"][k], source=source_id, task_id=dropped["task_id"][k],
                                      split=dropped["split"][k], fate=fate, origin=dropped["origin"][k], reason=detail)
            out.write_table(table if keep.all() else table.filter(pa.array(keep, type=pa.bool_())))
    out.close()
    payload = {"key": key, "kept": out.count, **counts}
    _mark_done(folder, payload)
    return payload


# -- stage: dedup ---------------------------------------------------------------------

#: Dedup settings that are not build options (part of the dedup resume key).
DEDUP_SEED = 1
DEDUP_VERIFY = "exact"
DEDUP_SCHEME = "affine32"  # datasketch >= 2.0's MinHash scheme, minhash.sketch_texts' default
#: A task's kept records are sorted in memory up to this many Arrow bytes; a larger
#: task is first cut into id ranges (ids end in uniform hex, so the ranges are even).
SORT_BYTES = 64 << 20


@dataclass(frozen=True)
class Drops:
    """Dedup decisions, by row: the position of a record in the filtered records of all sources.

    ``rows`` ascend; ``ids[i]`` is the record at ``rows[i]``, dropped as a
    ``kinds[i]`` of ``kept[i]``.
    """

    rows: np.ndarray
    ids: list[str]
    kept: list[str]
    kinds: list[str]

    def __len__(self) -> int:
        return len(self.rows)


def _dedup_key(filter_keys: list[str | None], options: BuildOptions) -> str:
    """Everything the dedup decisions depend on besides the records themselves.

    The code of the three dedup modules is included, so a change to
    normalisation, shingling, hashing or the rule invalidates stored decisions.
    """
    from medsins.stages import dedup, minhash, shingles

    code = {m.__name__: sha256_file(Path(m.__file__)) for m in (dedup, minhash, shingles) if m.__file__}
    settings = {
        "threshold": options.dedup_threshold,
        "num_perm": options.num_perm,
        "seed": DEDUP_SEED,
        "verify": DEDUP_VERIFY,
        "scheme": DEDUP_SCHEME,
        "word_n": shingles.WORD_N,
        "char_n": shingles.CHAR_N,
        "hash": getattr(shingles, "DEFAULT_HASH", "sha1"),  # the shingle hash (MurmurHash3 or SHA-1)
        "lsh": minhash.recall_params(options.dedup_threshold, options.num_perm),
        "outputs": "closed-set answers compared within their task",  # see _comparable_outputs
    }
    return _digest(__version__, filter_keys, settings, code)


def _filtered(work: Path, source_ids: list[str]) -> list[Path]:
    return [work / "filter" / s / "records.parquet" for s in source_ids]


def _column_batches(files: list[Path], column: str) -> Iterator[pa.Array]:
    """One column of the filtered records, batch by batch, in row order."""
    for path in files:
        for batch in open_records(path).iter_batches(batch_size=BATCH, columns=[column]):
            progress.records(batch.num_rows)
            yield batch.column(0)


def _rows_of(files: list[Path], rows: np.ndarray, columns: list[str]) -> dict[str, list[Any]]:
    """Values of ``columns`` at the given rows of the filtered records (in ``rows`` order)."""
    order = np.argsort(rows, kind="stable")
    wanted = rows[order]
    out: dict[str, list[Any]] = {name: [None] * len(rows) for name in columns}
    offset = 0
    for path in files:
        for batch in open_records(path).iter_batches(batch_size=BATCH, columns=columns):
            lo, hi = np.searchsorted(wanted, [offset, offset + batch.num_rows])
            if hi > lo:
                picked = batch.take(pa.array(wanted[lo:hi] - offset)).to_pydict()
                targets = order[lo:hi].tolist()
                for name in columns:
                    values = out[name]
                    for target, value in zip(targets, picked[name], strict=True):
                        values[target] = value
            offset += batch.num_rows
    return out


def dedup_stage(source_ids: list[str], work: Path, options: BuildOptions) -> Drops:
    """Near-duplicate and contamination drops across every source (``work/dedup/drops.jsonl``).

    Memory is bounded: inputs stream through an :class:`~medsins.stages.dedup.InputIndex`
    (16 bytes a record in memory, sketches spilled to ``work/dedup/index``), and
    only the records that share a component are read again for the rule.
    """
    from medsins.stages.dedup import InputIndex, resolve

    folder = work / "dedup"
    key = _dedup_key([(_done(work / "filter" / s) or {}).get("key") for s in source_ids], options)
    done = _done(folder)
    drops_path = folder / "drops.jsonl"
    if done and done.get("key") == key:
        return _read_drops(drops_path)
    _fresh(folder)
    files = _filtered(work, source_ids)
    settings = {"threshold": options.dedup_threshold, "num_perm": options.num_perm, "seed": DEDUP_SEED,
                "verify": DEDUP_VERIFY}
    index = InputIndex(folder / "index", workers=options.workers, **settings)
    index.add_batches(_column_batches(files, "input"))
    groups = index.groups()
    members = _rows_of(files, groups.members, ["id", "task_id", "output", "split"])
    ids = members["id"]
    if len(set(ids)) != len(ids):
        raise MedsinsError("internal: two filtered records share an id")
    outputs = _comparable_outputs(members["task_id"], members["output"])
    drops = resolve(groups, ids, outputs, [split == "test" for split in members["split"]],
                    index.signatures, **settings)
    del members
    row_of = dict(zip(ids, groups.members.tolist(), strict=True))
    import shutil

    shutil.rmtree(folder / "index")
    with drops_path.open("w", encoding="utf-8") as handle:
        for dropped in sorted(drops, key=row_of.__getitem__):
            kept_id, kind = drops[dropped]
            _json_line(handle, row=row_of[dropped], id=dropped, kept=kept_id, kind=kind)
    _mark_done(folder, {"key": key, "dropped": len(drops)})
    return _read_drops(drops_path)


def _comparable_outputs(task_ids: list[str], outputs: list[str]) -> list[str]:
    """Outputs as the duplicate rule compares them.

    A closed-set answer ("None", "yes", "B. Heparin") equal across two *different*
    tasks is a coincidence, not a copy: the chemical and the disease NER task over
    one sentence both answer "None". Such outputs are compared with their task id,
    so only free-text outputs (answers, summaries) make cross-task duplicates.
    """
    registry = catalog().registry
    closed = {AnswerFormat.LABEL, AnswerFormat.MCQA, AnswerFormat.ENTITIES}
    keyed = {t: registry.get(t).answer_format in closed for t in set(task_ids) if t in registry}
    return [f"{t}\x1f{o}" if keyed.get(t) else o for t, o in zip(task_ids, outputs, strict=True)]


def _read_drops(path: Path) -> Drops:
    rows: list[int] = []
    ids: list[str] = []
    kept: list[str] = []
    kinds: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            rows.append(entry["row"])
            ids.append(entry["id"])
            kept.append(entry["kept"])
            kinds.append(entry["kind"])
    return Drops(np.array(rows, dtype=np.int64), ids, kept, kinds)


# -- stage: assemble --------------------------------------------------------------------


def assemble_stage(
    source_ids: list[str], work: Path, drops: Drops, ledger: Any
) -> tuple[Path, Counter[tuple[str, str]]]:
    """Write kept records sorted by (task number, split, id) into ``work/kept.parquet``.

    Records are partitioned by task first so sorting holds one task in memory,
    never the whole corpus — or, for a task over :data:`SORT_BYTES`, one id
    range of it. Returns the file and (source, fate) counts of the dedup
    decisions and kept records.
    """
    folder = _fresh(work / "assemble")
    counts: Counter[tuple[str, str]] = Counter()
    parts: dict[str, list[Path]] = defaultdict(list)
    task_bytes: Counter[str] = Counter()
    row = 0
    for source_id in source_ids:
        writers: dict[str, _ParquetOut] = {}
        parquet = open_records(work / "filter" / source_id / "records.parquet")
        for batch in parquet.iter_batches(batch_size=BATCH):
            table = pa.Table.from_batches([batch], schema=RECORD_SCHEMA)
            size = table.num_rows
            lo, hi = (int(i) for i in np.searchsorted(drops.rows, [row, row + size]))
            keep = np.ones(size, dtype=bool)
            if hi > lo:
                local = drops.rows[lo:hi] - row
                keep[local] = False
                cols = table.select(["id", "task_id", "split", "origin"]).take(pa.array(local)).to_pydict()
                for k, i in enumerate(range(lo, hi)):
                    if cols["id"][k] != drops.ids[i]:
                        raise MedsinsError(
                            f"work folder {work} is inconsistent: the dedup decision for {drops.ids[i]} does not "
                            f"match record {cols['id'][k]} ({cols['origin'][k]}); rerun the build with a fresh --work"
                        )
                    kind = drops.kinds[i]
                    counts[(source_id, kind)] += 1
                    verb = "near-duplicate of" if kind == "duplicate" else "its input occurs in test record"
                    ledger.add(ledger_entry(id=cols["id"][k], source=source_id, task_id=cols["task_id"][k],
                                            split=cols["split"][k], fate=kind, kept_id=drops.kept[i],
                                            origin=cols["origin"][k], reason=f"{verb} {drops.kept[i]}"))
            counts[(source_id, "kept")] += int(keep.sum())
            row += size
            progress.records(size)
            kept = table.filter(pa.array(keep, type=pa.bool_())) if hi > lo else table
            if kept.num_rows:
                n = kept.num_rows
                ledger.add_table(pa.table({
                    "id": kept.column("id"), "source": pa.repeat(pa.scalar(source_id), n),
                    "task_id": kept.column("task_id"), "split": kept.column("split"),
                    "fate": pa.repeat(pa.scalar("kept"), n), "kept_id": pa.nulls(n, pa.string()),
                    "origin": kept.column("origin"), "reason": pa.nulls(n, pa.string()),
                }))
            for task_id in sorted(pc.unique(kept.column("task_id")).to_pylist()):
                part = kept.filter(pc.equal(kept.column("task_id"), task_id))
                if task_id not in writers:
                    path = folder / f"{task_id}.{source_id}.parquet"
                    writers[task_id] = _ParquetOut(path, SCRATCH_COMPRESSION)
                    parts[task_id].append(path)
                writers[task_id].write_table(part)
                task_bytes[task_id] += part.nbytes
        for writer in writers.values():
            writer.close()
    if len(drops) and drops.rows[-1] >= row:
        raise MedsinsError("internal: dedup decisions refer to rows past the filtered records")
    kept_path = work / "kept.parquet"
    tmp = work / "kept.parquet.tmp"
    out = _ParquetOut(tmp, SCRATCH_COMPRESSION)
    for task_id in sorted(parts, key=lambda t: int(t[4:])):
        for table in _sorted_task(sorted(parts[task_id]), task_bytes[task_id], folder / f"{task_id}.ranges"):
            out.write_table(table)
            out.flush()
            del table
            pa.default_memory_pool().release_unused()  # the pool would keep the sorted copy's pages
        for path in parts[task_id]:
            path.unlink()
    out.close()
    os.replace(tmp, kept_path)
    return kept_path, counts


def _sorted_task(paths: list[Path], nbytes: int, scratch: Path) -> Iterator[pa.Table]:
    """A task's kept records sorted by (split descending, id), in pieces of bounded size.

    A task of at most :data:`SORT_BYTES` is one piece. A larger one is cut into
    ``ranges`` by the 16 bits after the ``-`` of its ids (uniform hex digits of
    a BLAKE2b digest) per split, written to scratch files in one pass, and each
    range is sorted on its own: the pieces in (split, range) order are the
    sorted task.
    """
    order = [("split", "descending"), ("id", "ascending")]
    if nbytes <= SORT_BYTES:
        yield pa.concat_tables([pq.read_table(p, schema=RECORD_SCHEMA) for p in paths]).sort_by(order)
        return
    ranges = 1 << max(1, math.ceil(math.log2(2 * nbytes / SORT_BYTES)))
    scratch.mkdir()
    writers: dict[tuple[str, int], pq.ParquetWriter] = {}
    for path in paths:
        for batch in open_records(path).iter_batches(batch_size=BATCH):
            ids = batch.column("id")
            prefix = len(ids[0].as_py().split("-", 1)[0]) + 1
            head = pc.utf8_slice_codeunits(ids, prefix, prefix + 4).to_pylist()
            which = np.fromiter((int(h, 16) * ranges >> 16 for h in head), dtype=np.int64, count=len(head))
            splits = batch.column("split").to_pylist()
            keys = sorted({(split, int(r)) for split, r in zip(splits, which.tolist(), strict=True)})
            split_array = batch.column("split")
            for split, r in keys:
                mask = pc.and_(pc.equal(split_array, split), pa.array(which == r))
                piece = pa.Table.from_batches([batch], schema=RECORD_SCHEMA).filter(mask)
                if (split, r) not in writers:
                    path = scratch / f"{split}-{r:05d}.parquet"
                    writers[(split, r)] = pq.ParquetWriter(path, RECORD_SCHEMA, compression=SCRATCH_COMPRESSION)
                writers[(split, r)].write_table(piece)
    for writer in writers.values():
        writer.close()
    pieces = sorted(sorted(writers, key=lambda k: k[1]), key=lambda k: k[0], reverse=True)  # stable sorts
    for split, r in pieces:
        path = scratch / f"{split}-{r:05d}.parquet"
        yield pq.read_table(path, schema=RECORD_SCHEMA).sort_by(order)
        path.unlink()
    scratch.rmdir()


# -- orchestration --------------------------------------------------------------------


#: Warnings about the build's input (folders under --raw-root that match no source).
log = logging.getLogger("medsins.build")


def select_sources(options: BuildOptions) -> list[tuple[str, Path]]:
    """The (source id, raw folder) pairs a build covers.

    A source that cannot be loaded stops the build (its reason in plain words);
    a folder under ``raw_root`` named after no source is a warning with the
    closest source names, so a misspelt folder is not left out silently.
    """
    found = catalog()
    if found.broken:
        raise MedsinsError("; ".join(found.problems) + " (fix or remove it: `medsins check-source all` checks "
                           "every source)")
    if options.raw_root is not None:
        _warn_unmatched_folders(options.raw_root, list(found.sources))
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


def _folder_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _warn_unmatched_folders(raw_root: Path, source_ids: list[str]) -> None:
    """Warn about each folder of ``raw_root`` that no source reads, with the closest source names."""
    import difflib

    try:
        folders = sorted(p.name for p in raw_root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return  # check_paths already refused an unlistable raw root
    keys: dict[str, list[str]] = defaultdict(list)
    for source_id in source_ids:
        keys[_folder_key(source_id)].append(source_id)
    known = set(source_ids)
    for folder in folders:
        if folder in known:
            continue
        # pubmed_qa, PubMedQA, pubmed-qa: the same name spelt differently, before any fuzzy match
        close = keys.get(_folder_key(folder)) or difflib.get_close_matches(folder, source_ids, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        log.warning("--raw-root %s: folder %s/ matches no source, not built%s", raw_root, folder, hint)


def _progress(quiet: bool) -> AbstractContextManager[progress.Feedback]:
    """Stage feedback: bars on a terminal, a log line per stage and every ~10 s elsewhere, nothing when quiet."""
    return progress.feedback("build", quiet)


def build(options: BuildOptions) -> BuildResult:
    """Run the whole build; see the module docstring for the stages.

    Before any work, in well under a second: every path is checked
    (:func:`medsins.workfolder.check_paths`), the sources and their raw folders
    are resolved, ``--instructions`` is read, and the work folder is locked
    (:class:`medsins.workfolder.WorkLock`) for the whole build, so a second
    build on it stops at once. Leftovers of killed builds beside the release
    folder are removed.
    """
    from medsins.workfolder import WorkLock, check_out_name, check_paths, check_raw_folder, remove_leftovers

    check_out_name(options.out)  # first: options.work_dir is derived from the name
    work = options.work_dir
    check_paths(options.out, work, options.raw_root, options.instructions)
    pairs = select_sources(options)
    for name, raw in pairs:
        check_raw_folder(raw, flag=f"source {name}: ")
    upstream = None
    if options.instructions is not None:  # read now: a bad file stops the build before any work
        from medsins.upstream_instructions import read_instruction_variants

        upstream = read_instruction_variants(options.instructions)
    work.mkdir(parents=True, exist_ok=True)
    with WorkLock(work):
        remove_leftovers(options.out)
        try:
            return _build_locked(options, pairs, upstream)
        except OSError as exc:
            if exc.filename is not None:
                raise
            # A write that failed (a full disk) names no file: name the build's folders instead.
            raise MedsinsError(f"{options.out} (work folder {work}): {exc.strerror or exc}") from exc


def _build_locked(
    options: BuildOptions, pairs: list[tuple[str, Path]], upstream: dict[str, Any] | None
) -> BuildResult:
    """The stages of :func:`build`, once its checks passed and the work folder is locked."""
    from medsins.release.writer import write_release

    ids = [name for name, _ in pairs]
    work = options.work_dir
    found = catalog()
    workers = max(1, options.workers)
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    with _progress(options.quiet) as feedback:
        feedback.note(f"{len(ids)} sources, profile {options.profile.value}, {workers} worker(s), work folder {work}")
        with clock("convert"), feedback.stage("convert", len(pairs)) as stage:
            convert_done = _run_parallel(
                "convert", stage, workers, convert_stage,
                [(name, raw, work, options.limits) for name, raw in pairs],
            )
        converted = sum(done["records"] for done in convert_done)
        with clock("filter"), feedback.stage("filter", len(ids), records_total=converted) as stage:
            filter_done = _run_parallel(
                "filter", stage, workers, filter_stage,
                [(name, work, options.profile, options.language_filter) for name in ids],
            )
        with clock("dedup"), feedback.stage("dedup") as stage, \
                progress.counting(stage.add_records):
            drops = dedup_stage(ids, work, options)
            stage.advance()
        ledger_path = work / LEDGER_NAME
        ledger = LedgerWriter(work / (LEDGER_NAME + ".tmp"))
        for name in ids:
            ledger.extend(read_lines(work / "convert" / name / "ledger.jsonl"))
            ledger.extend(read_lines(work / "filter" / name / "ledger.jsonl"))
        with clock("assemble"), feedback.stage("assemble") as stage, \
                progress.counting(stage.add_records):
            kept_path, fate_counts = assemble_stage(ids, work, drops, ledger)
            stage.advance()
        ledger.close()
        os.replace(ledger.path, ledger_path)
        counts = _count(ids, convert_done, filter_done, fate_counts)
        unreadable = _unreadable_spots(ids, work)
        if unreadable and not options.allow_incomplete:
            raise IncompleteInputError(unreadable, counts, work)
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
            unreadable=unreadable,
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
        total = counts["total"]
        feedback.note(f"{total['kept']:,} of {total['entered']:,} records kept; writing the release")
        release_stage = feedback.stage("release")
        with clock("release"), release_stage as stage:
            manifest = write_release(
                kept_path, options.out, registry=found.registry,
                sources={name: found.get(name).manifest for name in ids}, manifest=manifest,
                upstream_instructions=upstream, ledger=ledger_path,
                card_extras={"repo_id": options.repo_id} if options.repo_id else None,
            )
            stage.advance()
    timings["total"] = time.perf_counter() - clock.start
    return BuildResult(options.out, manifest, ledger_path, counts, timings)


class IncompleteInputError(MedsinsError):
    """Parts of the raw files could not be read; the build stops before the release stage.

    The work folder keeps every stage's output and the ledger, so the build can be
    rerun with the files fixed, or with ``allow_incomplete`` to release without them.
    """

    def __init__(self, spots: dict[str, list[str]], counts: dict[str, dict[str, int]], work: Path) -> None:
        self.spots = spots
        self.counts = counts
        parts = [f"{name}: {counts[name]['unreadable']} ({spots[name][0]}"
                 + (", ..." if counts[name]["unreadable"] > 1 else "") + ")" for name in sorted(spots)]
        super().__init__(
            "raw input not completely read, unreadable spots in " + "; ".join(parts)
            + f". Every spot is listed in {work}/convert/<source>/unreadable.jsonl. Fix the files, or pass "
            "--allow-incomplete to release without them (the manifest and card then say what is missing)."
        )


def _unreadable_spots(ids: list[str], work: Path) -> dict[str, list[str]]:
    """Per source, its first :data:`UNREADABLE_LISTED` unreadable spots ('file, where: problem')."""
    spots: dict[str, list[str]] = {}
    for name in ids:
        path = work / "convert" / name / "unreadable.jsonl"
        listed: list[str] = []
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                entry = json.loads(line)
                listed.append(f"{entry['origin']}: {entry['reason']}")
                if len(listed) >= UNREADABLE_LISTED:
                    break
        if listed:
            spots[name] = listed
    return spots


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


def _worker_init(parent: int, counter: Any) -> None:
    """Initializer of a stage's worker processes: die with the build, count records into ``counter``."""
    from medsins.workfolder import bind_to_parent

    bind_to_parent(parent)
    progress.count_into(counter)


def _run_parallel(
    name: str, stage: progress.Stage, workers: int,
    func: Callable[..., dict[str, Any]], jobs: list[tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """Run per-source jobs, in parallel when asked; results in job order (determinism).

    ``stage`` advances by one a finished job and counts the records jobs report
    (:func:`medsins.progress.records`), also from worker processes.
    """
    if workers == 1 or len(jobs) == 1:
        results = []
        with progress.counting(stage.add_records):
            for job in jobs:
                results.append(_job_result(name, job, lambda job=job: func(*job)))
                stage.advance()
        return results
    # spawn, not fork: the parent may already run native thread pools (lingua, pyarrow),
    # and forking a multi-threaded process can deadlock the child. bind_to_parent: the
    # workers die with the build, even on kill -9 (they would otherwise run on for ever).
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init, initargs=(os.getpid(), stage.shared_counter()),
    ) as pool:
        futures = [pool.submit(func, *job) for job in jobs]
        for future in futures:  # counted as they finish, not in the order results are collected
            future.add_done_callback(lambda _future: stage.advance())
        results = []
        try:
            for job, future in zip(jobs, futures, strict=True):
                results.append(_job_result(name, job, future.result))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # fail now, not after every queued source
            raise
        return results


def _job_result(name: str, job: tuple[Any, ...], result: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``result()``; an OS error that names no file is given the stage, source and folder it came from."""
    try:
        return result()
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise MedsinsError(f"{name} {job[0]} ({job[1]}): {exc.strerror or exc}") from exc


def _count(
    ids: list[str], convert_done: list[dict[str, Any]], filter_done: list[dict[str, Any]],
    fate_counts: Counter[tuple[str, str]],
) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for name, conv, filt in zip(ids, convert_done, filter_done, strict=True):
        row = dict.fromkeys(FATES, 0)
        row["invalid"] = conv["rejected"]
        row["conflict"] = conv.get("conflict", 0)
        row["license"] = filt.get("license", 0)
        row["language"] = filt.get("language", 0)
        row["kept"] = fate_counts[(name, "kept")]
        row["contaminates"] = fate_counts[(name, "contaminates")]
        row["duplicate"] = conv.get("duplicate", 0) + fate_counts[(name, "duplicate")]
        entered = conv["records"] + conv["rejected"] + conv.get("duplicate", 0) + conv.get("conflict", 0)
        counts[name] = {"entered": entered, **row, "unreadable": sum(conv.get("unreadable", {}).values())}
    total = {fate: sum(c[fate] for c in counts.values()) for fate in ("entered", *FATES, "unreadable")}
    counts["total"] = total
    return counts


def summary_rows(counts: dict[str, dict[str, int]]) -> list[list[object]]:
    """Rows of the final summary table (one per source, then the total)."""
    return [[name, c["entered"], *(c[f] for f in FATES), c["unreadable"]] for name, c in counts.items()]
