"""``medsins build``: raw corpora → a release folder."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from medsins import limits, progress
from medsins.commands.output import print_json, print_table, printable
from medsins.errors import MedsinsError
from medsins.stages.license import Profile


def run(args: argparse.Namespace) -> int:
    """Build a release and print the per-source ledger summary."""
    from medsins.build import BuildOptions, build, summary_rows
    from medsins.ledger import FATES

    raw_root = _location(args.raw_root) if args.raw_root else None  # checked by build() with every other path
    if args.workers < 1:
        raise MedsinsError("--workers must be at least 1")
    options = BuildOptions(
        raw_root=raw_root,
        sources=tuple(s.strip() for s in args.sources.split(",") if s.strip()) if args.sources else (),
        out=_location(args.out),
        work=_location(args.work) if args.work else None,
        profile=Profile(args.profile),
        workers=args.workers,
        language_filter=not args.no_language_filter,
        dedup_threshold=args.threshold,
        instructions=Path(args.instructions) if args.instructions else None,
        quiet=args.quiet,
        allow_incomplete=args.allow_incomplete,
        repo_id=args.repo_id,
        engine=args.engine,
        ray_address=args.ray_address,
    )
    with progress.log_lines(args.quiet):  # off a terminal: a line per stage and every ~10 s on stderr
        result = build(options)
    if args.json:
        print_json(build_summary(result))
    elif not args.quiet:
        print_table(
            f"medsins build ({options.profile.value}) -> {result.release}",
            ["source", "entered", *FATES, "unreadable"],
            summary_rows(result.counts),
        )
        print(f"ledger: {printable(result.ledger)}")
    return 0


def _location(value: str) -> Path | str:
    """A folder argument: a local path, or a URL (``s3://…``, ``file://…``) kept as given."""
    from medsins.storage import is_url

    return value if is_url(value) else Path(value)


def build_summary(result: Any) -> dict[str, Any]:
    """``build --json``: what a build produced, for scripts (a :class:`~medsins.build.BuildResult`)."""
    manifest = result.manifest
    return {
        "release": str(result.release),
        "ledger": str(result.ledger),
        "profile": manifest.profile,
        "publishable": manifest.publishable,
        "sources": sorted(name for name in result.counts if name != "total"),
        "records": result.counts.get("total", {}).get("kept", 0),
        "counts": result.counts,
        "unreadable": manifest.unreadable,
        "seconds": {stage: round(seconds, 3) for stage, seconds in result.timings.items()},
    }


def _repo_id(value: str) -> str:
    """``--repo-id``, checked before any work (a bad id would otherwise fail at the release stage)."""
    from medsins.release.card import check_repo_id

    try:
        return check_repo_id(value)
    except MedsinsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="what runs the stages: this machine (local, default) or a Ray cluster (ray; "
                        "pip install 'medsins[ray]')")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="with --engine ray: the cluster to join (e.g. ray://head:10001 or auto; default: a local Ray)")
    p.add_argument("--threshold", type=float, default=0.8, help="near-duplicate Jaccard threshold (default 0.8)")
    p.add_argument("--no-language-filter", action="store_true", help="skip the language filter")
    p.add_argument("--instructions", metavar="FILE",
                   help="upstream RewriteDefinitions.json: attach its instruction variants to the release")
    p.add_argument("--allow-incomplete", action="store_true",
                   help="release even when parts of the raw files could not be read (listed in manifest and card)")
    p.add_argument("--repo-id", metavar="ORG/NAME", type=_repo_id,
                   help="the Hub dataset repo the card and croissant.json name (default: medsins/meds-ins)")
    p.add_argument("--quiet", action="store_true", help="no progress bars, progress lines or summary")
    p.add_argument("--json", action="store_true",
                   help="print a JSON summary (release, counts per source and fate, seconds per stage) on stdout")
    limits.add_argument(p)
    p.set_defaults(func=run)
