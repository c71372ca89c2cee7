"""``medsins check-source``: is a source ready?"""

from __future__ import annotations

import argparse
from pathlib import Path

from medsins import limits
from medsins.commands.output import print_json, print_table, printable
from medsins.conformance import Level, check_source
from medsins.errors import MedsinsError
from medsins.plugins import catalog


def run(args: argparse.Namespace) -> int:
    """Run the conformance suite; exit 1 on any error-level finding."""
    found = catalog()
    names = [s.id for s in found] if args.source == "all" else [args.source]
    raw = Path(args.raw) if args.raw else None
    if raw is not None and not raw.is_dir():
        raise MedsinsError(f"--raw {raw}: not a folder")
    reports = [check_source(found.get(name), found.registry, raw) for name in names]
    if args.json:
        print_json([r.to_dict() for r in reports] if len(reports) > 1 else reports[0].to_dict())
    else:
        for report in reports:
            status = "PASS" if report.ok else "FAIL"
            counts = ", ".join(f"{t} {n}" for t, n in sorted(report.counts.items(), key=lambda kv: int(kv[0][4:])))
            print(printable(f"{status} {report.source} ({report.raw_dir}): {sum(report.counts.values())} records "
                            f"[{counts}], {report.rejected} rejected"))
            if report.findings:
                print_table(None, ["level", "check", "finding"],
                            [[f.level.value, f.check, f.message] for f in report.findings])
        errors = sum(1 for r in reports for f in r.findings if f.level is Level.ERROR)
        warnings = sum(1 for r in reports for f in r.findings if f.level is Level.WARNING)
        print(f"{sum(r.ok for r in reports)}/{len(reports)} sources pass; {errors} errors, {warnings} warnings")
    return 0 if all(r.ok for r in reports) else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``check-source``."""
    p = subparsers.add_parser("check-source", help="run the conformance suite on a source ('all' for every one)")
    p.add_argument("source", help="source id, or 'all'")
    p.add_argument("--raw", metavar="DIR", help="check a conversion of this folder instead of the sample")
    p.add_argument("--json", action="store_true", help="print JSON only")
    limits.add_argument(p)
    p.set_defaults(func=run)
