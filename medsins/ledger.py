"""The ledger: one row per record that entered a build, with its fate.

``ledger.parquet`` (in the work folder, and in the release) has the columns
of :data:`LEDGER_SCHEMA`. Every record that entered has exactly one row, kept
ones included; ``kept_id`` names the record a ``duplicate``, ``contaminates``
or ``conflict`` row points to, ``origin`` where the raw item came from
(file, line/record) and ``reason`` why it was dropped. :func:`query` answers
"why is this record not in the release?" and "what did each stage remove?".

Fates, in stage order: ``invalid`` (a raw item that could not become a valid
record), ``duplicate`` / ``conflict`` (a repeated raw item: the same, or the
same input with another gold), ``license``, ``language``, ``duplicate`` /
``contaminates`` (near-duplicates across the corpus and test leakage), ``kept``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from medsins.errors import MedsinsError

LEDGER_NAME = "ledger.parquet"
FATES = ("kept", "invalid", "conflict", "license", "language", "duplicate", "contaminates")
COLUMNS = ("id", "source", "task_id", "split", "fate", "kept_id", "origin", "reason")
LEDGER_SCHEMA = pa.schema([(name, pa.string()) for name in COLUMNS])
#: Rows buffered before a row group is written.
BATCH = 50_000


def entry(**fields: Any) -> dict[str, str | None]:
    """A ledger row with every column (missing ones ``None``)."""
    unknown = set(fields) - set(COLUMNS)
    if unknown:
        raise TypeError(f"not ledger columns: {sorted(unknown)}")
    return {name: fields.get(name) for name in COLUMNS}


def write_line(handle: Any, **fields: Any) -> None:
    """One ledger row as a JSON line (the stages' work files)."""
    handle.write(json.dumps(entry(**fields), ensure_ascii=False, sort_keys=True) + "\n")


def read_lines(path: Path) -> Iterator[dict[str, str | None]]:
    """The rows of a stage's JSON-lines ledger file."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            yield entry(**json.loads(line))


class LedgerWriter:
    """Streams ledger rows into ``ledger.parquet`` (bounded memory)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._writer = pq.ParquetWriter(self.path, LEDGER_SCHEMA, compression="zstd")
        self._rows: list[dict[str, str | None]] = []
        self.count = 0

    def add(self, row: dict[str, str | None]) -> None:
        """Append one row (from :func:`entry`)."""
        self._rows.append(row)
        self.count += 1
        if len(self._rows) >= BATCH:
            self.flush()

    def extend(self, rows: Iterable[dict[str, str | None]]) -> None:
        """Append rows."""
        for row in rows:
            self.add(row)

    def add_table(self, table: pa.Table) -> None:
        """Append a table with the ledger's columns (kept records, in bulk)."""
        self.flush()
        if table.num_rows:
            self._writer.write_table(table.select(list(COLUMNS)).cast(LEDGER_SCHEMA))
            self.count += table.num_rows

    def flush(self) -> None:
        """Write the buffered rows."""
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=LEDGER_SCHEMA))
            self._rows = []

    def close(self) -> None:
        """Flush and finish the file."""
        self.flush()
        self._writer.close()


def ledger_path(folder: Path) -> Path:
    """The ledger of a work folder or a release folder."""
    folder = Path(folder)
    if folder.is_file() and folder.suffix == ".parquet":
        return folder
    path = folder / LEDGER_NAME
    if not path.is_file():
        raise MedsinsError(f"{folder}: no {LEDGER_NAME} (give a build's work folder or a release folder)")
    return path


def query(
    folder: Path,
    *,
    source: str | None = None,
    task: str | None = None,
    fate: str | None = None,
    record_id: str | None = None,
) -> Any:
    """Ledger rows matching every given filter, as a ``polars.DataFrame``.

    ``record_id`` also matches rows that point to that record (``kept_id``), so
    asking about a kept record shows what was dropped in its favour.

    Example:
        >>> rows = query("release.work", source="bc5cdr", fate="duplicate")
        >>> rows.select("id", "kept_id", "origin").head()
    """
    import polars as pl

    frame = pl.scan_parquet(ledger_path(folder))
    if source:
        frame = frame.filter(pl.col("source") == source)
    if task:
        frame = frame.filter(pl.col("task_id") == task)
    if fate:
        if fate not in FATES:
            raise MedsinsError(f"unknown fate {fate!r}; one of {', '.join(FATES)}")
        frame = frame.filter(pl.col("fate") == fate)
    if record_id:
        frame = frame.filter((pl.col("id") == record_id) | (pl.col("kept_id") == record_id))
    return frame.collect()


def summary(folder: Path, **filters: Any) -> Any:
    """Counts per source and fate (what each stage removed), as a ``polars.DataFrame``."""
    import polars as pl

    rows = query(folder, **filters)
    return (
        rows.group_by("source", "fate").agg(pl.len().alias("records"))
        .sort("source", "fate")
    )
