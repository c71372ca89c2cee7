"""Stage ``dedup``: every source's filtered records → exact and MinHash near-duplicate and contamination drops.

Input: ``work/filter/*/records.parquet`` in source order. Output: ``work/dedup/``
(``drops.jsonl``: one line a dropped record, by row; ``done.json``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from medsins import __version__, progress
from medsins.errors import MedsinsError
from medsins.pipeline.workfiles import BATCH, digest, done, fresh, json_line, mark_done
from medsins.plugins import catalog
from medsins.records import AnswerFormat
from medsins.release.manifest import sha256_file
from medsins.release.schema import open_records

if TYPE_CHECKING:
    from medsins.build import BuildOptions
    from medsins.pipeline.executors import Executor

log = logging.getLogger("medsins.dedup")

#: Dedup settings that are not build options (part of the dedup resume key).
DEDUP_SEED = 1
DEDUP_VERIFY = "exact"
DEDUP_SCHEME = "affine32"  # datasketch >= 2.0's MinHash scheme, minhash.sketch_texts' default


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
    return digest(__version__, filter_keys, settings, code)


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


def dedup_stage(source_ids: list[str], work: Path, options: BuildOptions, engine: Executor | None = None) -> Drops:
    """Near-duplicate and contamination drops across every source (``work/dedup/drops.jsonl``).

    Memory is bounded: inputs stream through an :class:`~medsins.stages.dedup.InputIndex`
    (16 bytes a record in memory, sketches spilled to ``work/dedup/index``), and
    only the records that share a component are read again for the rule. With
    the Ray engine the index is a :class:`~medsins.pipeline.ray_dedup.RayIndex`
    (sketching, the band-key shuffle and verification as Ray tasks; the same groups).
    """
    from medsins.stages.dedup import InputIndex, resolve

    folder = work / "dedup"
    key = _dedup_key([(done(work / "filter" / s) or {}).get("key") for s in source_ids], options)
    finished = done(folder)
    drops_path = folder / "drops.jsonl"
    if finished and finished.get("key") == key:
        return _read_drops(drops_path)
    fresh(folder)
    files = _filtered(work, source_ids)
    settings = {"threshold": options.dedup_threshold, "num_perm": options.num_perm, "seed": DEDUP_SEED,
                "verify": DEDUP_VERIFY}
    index: Any
    if engine is not None and engine.name == "ray":
        index = engine.dedup_index(files, folder / "index", **settings)  # type: ignore[attr-defined]
    else:
        index = InputIndex(folder / "index", workers=options.workers, **settings)
        index.add_batches(_column_batches(files, "input"))
    groups = index.groups()
    if getattr(index, "stats", None):
        log.info("dedup on Ray: %s", json.dumps(index.stats, sort_keys=True))
    read = index.rows_of if hasattr(index, "rows_of") else partial(_rows_of, files)
    members = read(groups.members, ["id", "task_id", "output", "split"])
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
            json_line(handle, row=row_of[dropped], id=dropped, kept=kept_id, kind=kind)
    mark_done(folder, {"key": key, "dropped": len(drops)})
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
