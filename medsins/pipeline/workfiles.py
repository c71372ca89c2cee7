"""Work-folder files shared by the stages: completion markers and buffered Parquet writers.

Every stage writes into its own folder of the work folder and, last, a
``done.json`` marker whose key covers everything its output depends on.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from medsins.release.schema import RECORD_SCHEMA

#: Records per Arrow batch in every streaming stage.
BATCH = 20_000
#: Compression of the stage outputs kept for resuming (convert/, filter/).
WORK_COMPRESSION = "zstd"
#: Compression of assemble's scratch files, read once and deleted: none (measured at 1M
#: records: assemble 12 s uncompressed vs 17-22 s with lz4/zstd on the shared 2-core machine).
SCRATCH_COMPRESSION = "none"
#: A work-file writer flushes its buffered records at BATCH rows or this many bytes.
FLUSH_BYTES = 8 << 20


def digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def done(folder: Path) -> dict[str, Any] | None:
    marker = folder / "done.json"
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def mark_done(folder: Path, payload: dict[str, Any]) -> None:
    # Written last and renamed into place: a marker exists only for complete output.
    tmp = folder / "done.json.tmp"
    tmp.write_text(json.dumps(payload, sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / "done.json")


def fresh(folder: Path) -> Path:
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


class ParquetOut:
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


def json_line(handle: Any, **entry: Any) -> None:
    handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")

