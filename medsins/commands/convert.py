"""``medsins convert``: run one source's converter and write its records."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from medsins import limits, progress
from medsins.commands.output import error, print_json, printable
from medsins.convert import Rejection, convert_source
from medsins.errors import MedsinsError
from medsins.plugins import catalog
from medsins.records import Record

#: Records per Parquet batch (bounded memory for large corpora).
_BATCH = 10_000


def rejected_path(out: Path) -> Path:
    """Where the rejections of ``out`` go: beside it, ``<name>.rejected.jsonl``."""
    return out.with_name(out.name.split(".")[0] + ".rejected.jsonl")


class _ParquetSink:
    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        from medsins.release.schema import RECORD_SCHEMA

        self._writer = pq.ParquetWriter(path, RECORD_SCHEMA, compression="zstd")
        self._pending: list[Record] = []

    def write(self, record: Record) -> None:
        self._pending.append(record)
        if len(self._pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        from medsins.release.schema import records_to_table

        if self._pending:
            self._writer.write_table(records_to_table(self._pending))
            self._pending = []

    def close(self) -> None:
        self.flush()
        self._writer.close()


class _JsonlSink:
    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    def write(self, record: Record) -> None:
        self._handle.write(record.model_dump_json() + "\n")

    def close(self) -> None:
        self._handle.flush()


def run(args: argparse.Namespace) -> int:
    """Convert SOURCE; exit 1 when any raw item was rejected (all are reported)."""
    source = catalog().get(args.source)
    raw = Path(args.raw) if args.raw else None
    if raw is not None and not raw.is_dir():
        raise MedsinsError(f"--raw {raw}: not a folder")
    out = Path(args.out) if args.out else None
    if out is not None and not out.name.endswith((".jsonl", ".parquet")):
        raise MedsinsError(f"--out {out}: use a .jsonl or .parquet file name")
    if args.json and out is None:
        raise MedsinsError("--json needs --out FILE: without it the records themselves go to stdout")
    counts: Counter[str] = Counter()
    rejections: list[Rejection] = []
    with ExitStack() as stack:
        stack.enter_context(progress.log_lines(args.quiet))
        # No bars when the records themselves go to stdout (the terminal).
        feedback = stack.enter_context(progress.feedback("convert", args.quiet, transient=True, bars=out is not None))
        stage = stack.enter_context(feedback.stage(source.id, unit="records"))
        if out is None:
            sink: _JsonlSink | _ParquetSink = _JsonlSink(sys.stdout)
        elif out.suffix == ".parquet":
            sink = _ParquetSink(out)
        else:
            sink = _JsonlSink(stack.enter_context(out.open("w", encoding="utf-8")))
        try:
            for item in convert_source(source, raw, catalog().registry):
                if isinstance(item, Record):
                    sink.write(item)
                    counts[item.task_id] += 1
                    stage.add_records(1)
                else:
                    rejections.append(item)
        finally:
            sink.close()
    if out is not None:
        bad = rejected_path(out)
        if rejections:
            with bad.open("w", encoding="utf-8") as handle:
                for rejection in rejections:
                    handle.write(json.dumps(rejection.to_dict(), ensure_ascii=False) + "\n")
        elif bad.exists():
            bad.unlink()  # a stale file from an earlier run would mislead
    ordered = sorted(counts.items(), key=lambda kv: int(kv[0][4:]))
    if args.json:
        print_json({
            "source": source.id, "raw": str(raw if raw is not None else source.sample_dir), "out": str(out),
            "records": sum(counts.values()), "tasks": dict(ordered), "rejected": len(rejections),
            "unreadable": sum(r.unreadable for r in rejections),
            "rejected_file": str(rejected_path(out)) if out is not None and rejections else None,
        })
    summary = ", ".join(f"{task} {n}" for task, n in ordered)
    where = f" -> {out}" if out else ""
    if not args.quiet:
        print(printable(f"{source.id}: {sum(counts.values())} records ({summary or 'none'}), "
                        f"{len(rejections)} rejected{where}"), file=sys.stderr)
    for rejection in rejections[:10]:
        error(f"rejected {rejection.origin}: {rejection.reason}")
    if len(rejections) > 10:
        error(f"... {len(rejections) - 10} more rejections in {rejected_path(out) if out else 'the output'}")
    return 1 if rejections else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``convert``."""
    p = subparsers.add_parser("convert", help="convert one source's raw files to records")
    p.add_argument("source", help="source id, e.g. pubmedqa")
    p.add_argument("--raw", metavar="DIR", help="folder with the raw files (default: the bundled sample)")
    p.add_argument("--out", metavar="FILE", help="output .jsonl or .parquet (default: JSONL on stdout)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON summary (records per task, rejections, files) on stdout; needs --out")
    p.add_argument("--quiet", action="store_true", help="no progress and no summary line (rejections still shown)")
    limits.add_argument(p)
    p.set_defaults(func=run)
