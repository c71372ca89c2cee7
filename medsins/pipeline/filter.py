"""Stage ``filter``: one source's converted records → license profile, then language check.

Input: ``work/convert/<source>/records.parquet``. Output: ``work/filter/<source>/``
(``records.parquet``, ``ledger.jsonl`` of the dropped records, ``done.json``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from medsins import progress
from medsins.errors import MedsinsError
from medsins.ledger import write_line as write_ledger_line
from medsins.pipeline.workfiles import BATCH, ParquetOut, digest, done, fresh, mark_done
from medsins.plugins import Source, catalog
from medsins.records import AccessLevel
from medsins.release.schema import RECORD_SCHEMA, open_records
from medsins.stages.license import Profile, license_block, strictest


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
    convert_done = done(work / "convert" / source_id)
    if convert_done is None:
        raise MedsinsError(f"internal: {source_id} was not converted")
    folder = work / "filter" / source_id
    # Access levels of every source matter: task-file records inherit their native corpus's.
    levels = sorted((s.id, s.manifest.access.value) for s in catalog())
    key = digest(convert_done["key"], profile.value, language, levels)
    finished = done(folder)
    if finished and finished.get("key") == key:
        progress.records(convert_done.get("records", 0))
        return finished
    fresh(folder)
    counts: Counter[str] = Counter()
    access_of = _access_by_task(source)
    checker = None
    if language:
        from medsins.stages.language import LanguageFilter

        checker = LanguageFilter()
    out = ParquetOut(folder / "records.parquet")
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
    mark_done(folder, payload)
    return payload
