"""``medsins ledger``: why is a record not in the release, and what did each stage remove?"""

from __future__ import annotations

import argparse
from pathlib import Path

from medsins.commands.output import print_json, print_table

#: Rows printed as a table before the rest is summarised (``--json`` prints every row).
SHOW = 50


def run(args: argparse.Namespace) -> int:
    """Print the ledger rows matching the filters, or the per-source fate counts."""
    from medsins.ledger import COLUMNS, query, summary

    filters = {"source": args.source, "task": args.task, "fate": args.fate, "record_id": args.id}
    if not any(filters.values()) and not args.rows:
        counts = summary(Path(args.folder))
        if args.json:
            print_json(counts.to_dicts())
        else:
            print_table("ledger: records per source and fate", ["source", "fate", "records"], counts.rows())
        return 0
    rows = query(Path(args.folder), **filters)
    if args.json:
        print_json(rows.to_dicts())
        return 0
    shown = rows.head(args.limit)
    print_table(f"ledger: {rows.height} row(s)", list(COLUMNS), shown.rows())
    if rows.height > shown.height:
        print(f"... {rows.height - shown.height} more (use --limit N or --json)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ledger``."""
    p = subparsers.add_parser(
        "ledger", help="query a build's ledger: the fate of every record (work or release folder)"
    )
    p.add_argument("folder", metavar="WORK_OR_RELEASE", help="a build's work folder or a release folder")
    p.add_argument("--source", help="only this source")
    p.add_argument("--task", help="only this task id")
    p.add_argument("--fate", help="only this fate (kept, invalid, conflict, license, language, duplicate, "
                                  "contaminates)")
    p.add_argument("--id", help="this record, and the records that point to it")
    p.add_argument("--rows", action="store_true", help="list rows instead of the per-source counts")
    p.add_argument("--limit", type=int, default=SHOW, help=f"rows printed as a table (default {SHOW})")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)
