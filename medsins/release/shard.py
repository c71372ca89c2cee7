"""Parquet shards of a release, written the Hub way.

The kept records of a build arrive as Parquet (one file or a folder of files)
with :data:`~medsins.release.schema.RECORD_SCHEMA`, sorted by task, split and
id. :func:`write_shards` streams them once and writes every (task, split) group
to ``data/<config>/<task_id>/<split>-00000-of-0000N.parquet``.

Why the layout and the knobs:

* A record is stored once; configs (``ner``, ``task125``, ``all``, ``bench``)
  select shards with globs, so ``datasets`` and ``polars`` read the same files.
* Shard and row-group boundaries are decided from each row's Arrow size (the
  same measure ``datasets.push_to_hub`` uses for its 500 MB shards) by a greedy
  rule that looks at rows, never at how the input happened to be batched, so
  the same records always give the same files, byte for byte.
* A row group never holds more rows than the first row group of its shard.
  ``datasets`` reads a Parquet file in batches of the first row group's size, so
  this makes every row group exactly one batch, whatever ``num_proc`` is, and
  the card's ``num_bytes`` (which ``datasets`` sums over batches) is exact.
* zstd compression, a page index and (pyarrow ≥ 21) content-defined chunking,
  which lets the Hub's Xet storage deduplicate unchanged pages between releases.
"""

from __future__ import annotations

import inspect
import itertools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from medsins.errors import ReleaseError
from medsins.release.manifest import sha256_file
from medsins.release.schema import RECORD_SCHEMA, open_records

#: Shard size target in (uncompressed Arrow) bytes, as ``datasets``' ``"500MB"``.
DEFAULT_SHARD_BYTES = 500 * 1000**2
#: Row-group bounds: small enough for the Hub viewer's random access.
DEFAULT_ROW_GROUP_ROWS = 100_000
DEFAULT_ROW_GROUP_BYTES = 128 * 1024**2
#: Rows per batch when streaming the kept records (clinical notes can be large).
READ_BATCH_ROWS = 4096

DATA_DIR = "data"


@dataclass(frozen=True)
class ShardLimits:
    """Size bounds of shards and row groups (parameters so tests can force N > 1)."""

    shard_bytes: int = DEFAULT_SHARD_BYTES
    row_group_rows: int = DEFAULT_ROW_GROUP_ROWS
    row_group_bytes: int = DEFAULT_ROW_GROUP_BYTES

    def __post_init__(self) -> None:
        if min(self.shard_bytes, self.row_group_rows, self.row_group_bytes) < 1:
            raise ValueError("shard and row-group limits must be positive")


@dataclass(frozen=True)
class Shard:
    """One written shard and what the manifest and the card need to know of it."""

    path: str  # POSIX, relative to the release folder
    config: str
    task_id: str
    split: str
    rows: int
    bytes: int
    sha256: str
    num_bytes: int  # the Arrow size ``datasets`` records for these rows


@dataclass
class ShardStats:
    """What the card reports beyond shard sizes, gathered in the same pass."""

    languages: set[str] = field(default_factory=set)
    #: source id -> record license -> rows
    licenses: dict[str, dict[str, int]] = field(default_factory=dict)

    def update(self, batch: pa.RecordBatch) -> None:
        """Add a batch's languages and (source, license) row counts."""
        for column in ("input_language", "output_language", "instruction_language"):
            self.languages.update(pc.unique(batch.column(column)).to_pylist())
        pairs = pa.Table.from_batches([batch.select(["source", "license"])]).group_by(
            ["source", "license"]
        ).aggregate([([], "count_all")])
        for source, license_id, count in zip(
            pairs["source"].to_pylist(), pairs["license"].to_pylist(), pairs["count_all"].to_pylist(),
            strict=True,
        ):
            per_source = self.licenses.setdefault(source, {})
            per_source[license_id] = per_source.get(license_id, 0) + count


def shard_name(split: str, index: int, count: int) -> str:
    """The Hub's shard file name: ``train-00000-of-00003.parquet``."""
    return f"{split}-{index:05d}-of-{count:05d}.parquet"


def kept_files(kept: Path) -> list[Path]:
    """The Parquet files of ``kept`` (a file, or a folder read in sorted path order)."""
    kept = Path(kept)
    if kept.is_file():
        return [kept]
    if kept.is_dir():
        files = sorted(p for p in kept.rglob("*.parquet") if p.is_file())
        if files:
            return files
    raise ReleaseError(f"{kept}: no kept records (expected a Parquet file or a folder of them)")


def iter_kept(kept: Path, batch_rows: int = READ_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Stream the kept records as batches with :data:`RECORD_SCHEMA`."""
    for path in kept_files(kept):
        try:
            handle = open_records(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise ReleaseError(f"{path}: cannot read kept records: {exc}") from None
        names = handle.schema_arrow.names
        if set(names) != set(RECORD_SCHEMA.names):
            raise ReleaseError(
                f"{path}: columns {sorted(names)} are not the record schema's {sorted(RECORD_SCHEMA.names)}"
            )
        for batch in handle.iter_batches(batch_size=batch_rows, columns=list(RECORD_SCHEMA.names)):
            try:
                yield pa.RecordBatch.from_arrays(
                    [batch.column(n).cast(RECORD_SCHEMA.field(n).type) for n in RECORD_SCHEMA.names],
                    schema=RECORD_SCHEMA,
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise ReleaseError(f"{path}: does not fit the record schema: {exc}") from None


def row_nbytes(batch: pa.RecordBatch) -> np.ndarray:
    """Each row's Arrow size in bytes (values plus offsets), as int64.

    Computed per row, so shard boundaries do not depend on how the input was
    batched.
    """
    sizes = np.zeros(batch.num_rows, dtype=np.int64)
    for column in batch.columns:
        if pa.types.is_list(column.type):
            values = pc.list_flatten(column)
            value_bytes = pc.binary_length(values).fill_null(0).to_numpy(zero_copy_only=False) + 4
            parents = pc.list_parent_indices(column).to_numpy(zero_copy_only=False)
            per_row = np.bincount(parents, weights=value_bytes, minlength=batch.num_rows)
            sizes += 4 + per_row.astype(np.int64)
        else:
            sizes += 4 + pc.binary_length(column).fill_null(0).to_numpy(zero_copy_only=False)
    return sizes


@dataclass
class _Bin:
    """A greedily filled container bounded by rows and bytes."""

    max_rows: int
    max_bytes: int
    rows: int = 0
    bytes: int = 0

    def room(self, cumulative: np.ndarray) -> int:
        """How many leading pending rows fit (``cumulative`` = running sum of their sizes).

        An empty bin always takes one row: a row larger than the bound gets a
        bin of its own instead of stalling the writer.
        """
        fit = int(np.searchsorted(cumulative, self.max_bytes - self.bytes, side="right"))
        fit = min(fit, self.max_rows - self.rows)
        return max(fit, 1) if self.rows == 0 else max(fit, 0)

    def add(self, rows: int, nbytes: int) -> None:
        self.rows += rows
        self.bytes += nbytes

    def clear(self) -> None:
        self.rows = self.bytes = 0


def _writer_options() -> dict[str, object]:
    options: dict[str, object] = {
        "compression": "zstd",
        "compression_level": 3,
        "write_page_index": True,
        "write_statistics": True,
        "use_dictionary": True,
    }
    # Content-defined chunking keeps page boundaries stable across releases (Xet dedup).
    if "use_content_defined_chunking" in inspect.signature(pq.ParquetWriter.__init__).parameters:
        options["use_content_defined_chunking"] = True
    return options


class _GroupWriter:
    """Writes one (task, split) group into as many shards as its size needs."""

    def __init__(self, root: Path, config: str, task_id: str, split: str, limits: ShardLimits) -> None:
        self.root = root
        self.config = config
        self.task_id = task_id
        self.split = split
        self.limits = limits
        self.folder = root / DATA_DIR / config / task_id
        self._shard = _Bin(sys.maxsize, limits.shard_bytes)
        self._group = _Bin(limits.row_group_rows, limits.row_group_bytes)
        self._pending: list[pa.RecordBatch] = []
        self._writer: pq.ParquetWriter | None = None
        self._parts: list[tuple[Path, int]] = []  # (partial path, rows)

    def add(self, batch: pa.RecordBatch) -> None:
        """Append a batch of this group's rows (in order)."""
        sizes = row_nbytes(batch)
        offset = 0
        while offset < batch.num_rows:
            cumulative = np.cumsum(sizes[offset:])
            take = min(self._shard.room(cumulative), self._group.room(cumulative))
            if take:
                self._pending.append(batch.slice(offset, take))
                nbytes = int(cumulative[take - 1])
                self._shard.add(take, nbytes)
                self._group.add(take, nbytes)
                offset += take
            if offset < batch.num_rows:
                # The next row does not fit: close whichever bin is full.
                if self._shard.room(sizes[offset : offset + 1]) == 0:
                    self._close_shard()
                else:
                    self._flush_row_group()

    def _flush_row_group(self) -> None:
        if not self._pending:
            return
        table = pa.Table.from_batches(self._pending, schema=RECORD_SCHEMA)
        self._pending = []
        if self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f".{self.split}-{len(self._parts):05d}.partial"
            self._parts.append((path, 0))
            self._writer = pq.ParquetWriter(path, RECORD_SCHEMA, **_writer_options())
            # Later row groups never exceed the first one's rows (see module docstring).
            self._group.max_rows = min(self.limits.row_group_rows, table.num_rows)
        self._writer.write_table(table, row_group_size=table.num_rows)
        path, rows = self._parts[-1]
        self._parts[-1] = (path, rows + table.num_rows)
        self._group.clear()

    def _close_shard(self) -> None:
        self._flush_row_group()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._shard.clear()
        self._group = _Bin(self.limits.row_group_rows, self.limits.row_group_bytes)

    def close(self) -> list[Shard]:
        """Finish the last shard and give every shard its final ``-of-N`` name."""
        self._close_shard()
        shards = []
        count = len(self._parts)
        for index, (partial, rows) in enumerate(self._parts):
            final = self.folder / shard_name(self.split, index, count)
            partial.rename(final)
            shards.append(
                Shard(
                    path=final.relative_to(self.root).as_posix(),
                    config=self.config,
                    task_id=self.task_id,
                    split=self.split,
                    rows=rows,
                    bytes=final.stat().st_size,
                    sha256=sha256_file(final),
                    num_bytes=datasets_num_bytes(final),
                )
            )
        return shards

    def abort(self) -> None:
        """Close an open file handle after a failure (the caller removes the folder)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def datasets_num_bytes(path: Path) -> int:
    """The ``num_bytes`` ``datasets`` records when it prepares this Parquet file.

    ``datasets`` casts each batch it reads to the features' Arrow schema and sums
    ``Table.nbytes``; every row group here is one such batch, so reading row
    group by row group reproduces its number exactly.
    """
    from datasets import Features
    from datasets.table import table_cast

    target = Features.from_arrow_schema(RECORD_SCHEMA).arrow_schema
    handle = open_records(path)
    total = 0
    for index in range(handle.num_row_groups):
        total += table_cast(handle.read_row_group(index), target).combine_chunks().nbytes
    return total


def _runs(batch: pa.RecordBatch) -> list[tuple[int, int]]:
    """``(start, stop)`` of the consecutive runs of equal (task_id, split) in a batch."""
    if batch.num_rows == 0:
        return []
    task, split = batch.column("task_id"), batch.column("split")
    changed = pc.or_(
        pc.not_equal(task.slice(1), task.slice(0, len(task) - 1)),
        pc.not_equal(split.slice(1), split.slice(0, len(split) - 1)),
    )
    cuts = (np.flatnonzero(changed.to_numpy(zero_copy_only=False)) + 1).tolist()
    bounds = [0, *cuts, batch.num_rows]
    return list(itertools.pairwise(bounds))


#: Writes the shards of a kept folder: :func:`write_shards`'s signature and result (the release
#: stage takes another one, e.g. the Ray engine's, which writes each task in its own Ray task).
ShardWriter = Callable[..., "list[Shard]"]


def write_shards(
    kept: Path,
    root: Path,
    config_of: dict[str, str],
    *,
    limits: ShardLimits | None = None,
    stats: ShardStats | None = None,
) -> list[Shard]:
    """Write the kept records under ``root/data/`` and return the shards in write order.

    ``config_of`` maps every task id to its category config (the shard folder).
    Records must be grouped by (task_id, split) with ids ascending inside a
    group, as the build sorts them; anything else raises :class:`ReleaseError`
    rather than silently splitting a group over two shard sets.
    """
    limits = limits or ShardLimits()
    shards: list[Shard] = []
    done: set[tuple[str, str]] = set()
    current: _GroupWriter | None = None
    last_id: str | None = None
    try:
        for batch in iter_kept(kept):
            if stats is not None:
                stats.update(batch)
            for start, stop in _runs(batch):
                run = batch.slice(start, stop - start)
                task_id, split = run.column("task_id")[0].as_py(), run.column("split")[0].as_py()
                if current is None or (current.task_id, current.split) != (task_id, split):
                    if current is not None:
                        shards += current.close()
                        done.add((current.task_id, current.split))
                    if (task_id, split) in done:
                        raise ReleaseError(f"{kept}: records are not sorted: {task_id}/{split} appears twice")
                    if task_id not in config_of:
                        raise ReleaseError(f"{kept}: record of unknown task {task_id}")
                    current = _GroupWriter(root, config_of[task_id], task_id, split, limits)
                    last_id = None
                last_id = _check_ids(run, last_id, kept)
                _check_config(run, config_of[task_id], kept)
                current.add(run)
        if current is not None:
            shards += current.close()
            current = None
    finally:
        if current is not None:
            current.abort()
    return shards


def _check_ids(run: pa.RecordBatch, previous: str | None, kept: Path) -> str:
    """Ids ascend strictly within a group (sorted input, no duplicate ids)."""
    ids = run.column("id")
    if previous is not None and not previous < ids[0].as_py():
        raise ReleaseError(f"{kept}: records are not sorted by id at {ids[0].as_py()}")
    if len(ids) > 1 and pc.any(pc.greater_equal(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py():
        raise ReleaseError(f"{kept}: records of {run.column('task_id')[0].as_py()} are not sorted by id")
    return ids[-1].as_py()


def _check_config(run: pa.RecordBatch, config: str, kept: Path) -> None:
    """The record's ``config`` column agrees with the registry (it names the folder)."""
    if pc.any(pc.not_equal(run.column("config"), config)).as_py():
        raise ReleaseError(
            f"{kept}: records of {run.column('task_id')[0].as_py()} do not all have config {config!r}"
        )
