"""Stage ``assemble``: filtered records minus the dedup drops → ``work/kept/``, sorted.

Input: ``work/filter/*/records.parquet`` and the dedup :class:`~medsins.pipeline.dedup.Drops`.
Output: ``work/kept/<task number>.parquet`` sorted by (task number, split, id), and the ledger
lines of the dedup decisions and kept records.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from medsins import progress
from medsins.errors import MedsinsError
from medsins.ledger import entry as ledger_entry
from medsins.pipeline.dedup import Drops
from medsins.pipeline.workfiles import BATCH, SCRATCH_COMPRESSION, ParquetOut, fresh
from medsins.release.schema import RECORD_SCHEMA, open_records

if TYPE_CHECKING:
    from medsins.pipeline.executors import Executor

log = logging.getLogger("medsins.assemble")

#: A task's kept records are sorted in memory up to this many Arrow bytes; a larger
#: task is first cut into id ranges (ids end in uniform hex, so the ranges are even).
SORT_BYTES = 64 << 20


def assemble_stage(
    source_ids: list[str], work: Path, drops: Drops, ledger: Any, engine: Executor | None = None
) -> tuple[Path, Counter[tuple[str, str]]]:
    """Write kept records sorted by (task number, split, id) into ``work/kept/``, a file a task.

    Records are partitioned by task first so sorting holds one task in memory,
    never the whole corpus — or, for a task over :data:`SORT_BYTES`, one id
    range of it. Each task is sorted into its own file, named by task number,
    so the folder read in path order is the sorted sequence of records; the
    release reads it file by file, so its shards do not depend on which
    engine wrote the files. The local engine sorts the tasks one after the
    other in this process; the Ray engine as parallel Ray tasks. The first pass,
    which writes the ledger in order, runs here (the driver) with both. Returns
    the folder and (source, fate) counts of the dedup decisions and kept records.
    """
    started = time.perf_counter()
    folder = fresh(work / "assemble")
    counts: Counter[tuple[str, str]] = Counter()
    parts: dict[str, list[Path]] = defaultdict(list)
    task_bytes: Counter[str] = Counter()
    row = 0
    for source_id in source_ids:
        writers: dict[str, ParquetOut] = {}
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
                    writers[task_id] = ParquetOut(path, SCRATCH_COMPRESSION)
                    parts[task_id].append(path)
                writers[task_id].write_table(part)
                task_bytes[task_id] += part.nbytes
        for writer in writers.values():
            writer.close()
    if len(drops) and drops.rows[-1] >= row:
        raise MedsinsError("internal: dedup decisions refer to rows past the filtered records")
    first_pass = time.perf_counter() - started
    (work / "kept.parquet").unlink(missing_ok=True)  # the single file older versions wrote
    kept = fresh(work / "kept")
    jobs = [(sorted(parts[t]), task_bytes[t], folder / f"{t}.ranges", kept / f"{int(t[4:]):07d}.parquet")
            for t in sorted(parts, key=lambda t: int(t[4:]))]
    if engine is not None and engine.name == "ray":
        engine.tasks(sorted_task_file, jobs)  # type: ignore[attr-defined]
    else:
        for job in jobs:
            sorted_task_file(*job)
    log.info("assemble: %s", json.dumps({"first_pass_seconds": first_pass, "tasks": len(jobs),
                                         "sort_seconds": time.perf_counter() - started - first_pass}))
    return kept, counts


def sorted_task_file(paths: list[Path], nbytes: int, scratch: Path, out: Path) -> int:
    """One task's kept records, sorted (:func:`_sorted_task`), into the file ``out``; its parts are deleted.

    A Ray task of the assemble stage (``--engine ray``); returns the rows written.
    """
    writer = ParquetOut(out, SCRATCH_COMPRESSION)
    for table in _sorted_task(paths, nbytes, scratch):
        writer.write_table(table)
        writer.flush()
        del table
        pa.default_memory_pool().release_unused()
    writer.close()
    for path in paths:
        path.unlink()
    return writer.count


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
