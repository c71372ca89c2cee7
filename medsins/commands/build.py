"""``medsins build``: raw corpora → a release folder."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from medsins import limits
from medsins.commands.output import print_table, printable
from medsins.errors import MedsinsError
from medsins.stages.license import Profile


def run(args: argparse.Namespace) -> int:
    """Build a release and print the per-source ledger summary."""
    from medsins.build import BuildOptions, build, summary_rows
    from medsins.ledger import FATES

    raw_root = Path(args.raw_root) if args.raw_root else None  # checked by build() with every other path
    if args.workers < 1:
        raise MedsinsError("--workers must be at least 1")
    options = BuildOptions(
        raw_root=raw_root,
        sources=tuple(s.strip() for s in args.sources.split(",") if s.strip()) if args.sources else (),
        out=Path(args.out),
        work=Path(args.work) if args.work else None,
        profile=Profile(args.profile),
        workers=args.workers,
        language_filter=not args.no_language_filter,
        dedup_threshold=args.threshold,
        instructions=Path(args.instructions) if args.instructions else None,
        quiet=args.quiet,
        allow_incomplete=args.allow_incomplete,
    )
    result = build(options)
    if not args.quiet:
        print_table(
            f"medsins build ({options.profile.value}) -> {result.release}",
            ["source", "entered", *FATES, "unreadable"],
            summary_rows(result.counts),
        )
        print(f"ledger: {printable(result.ledger)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``build``."""
    p = subparsers.add_parser("build", help="build a release folder from raw corpora (default: bundled samples)")
    p.add_argument("--raw-root", metavar="DIR", help="raw files of source X under DIR/X/ (default: bundled samples)")
    p.add_argument("--sources", metavar="A,B", help="only these sources (default: all)")
    p.add_argument("--out", metavar="DIR", default="release", help="release folder (default: ./release)")
    p.add_argument("--work", metavar="DIR", help="work folder for stage outputs (default: <out>.work)")
    p.add_argument("--profile", choices=[p.value for p in Profile], default=Profile.PUBLIC.value,
                   help="license profile (default: public)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="parallel source workers")
    p.add_argument("--threshold", type=float, default=0.8, help="near-duplicate Jaccard threshold (default 0.8)")
    p.add_argument("--no-language-filter", action="store_true", help="skip the language filter")
    p.add_argument("--instructions", metavar="FILE",
                   help="upstream RewriteDefinitions.json: attach its instruction variants to the release")
    p.add_argument("--allow-incomplete", action="store_true",
                   help="release even when parts of the raw files could not be read (listed in manifest and card)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    limits.add_argument(p)
    p.set_defaults(func=run)
