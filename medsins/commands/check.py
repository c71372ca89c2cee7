"""``medsins check-source``: is a source ready?"""

from __future__ import annotations

import argparse
from pathlib import Path

from medsins import limits, progress
from medsins.commands.output import print_json, print_table, printable
from medsins.conformance import Level, Report, broken_report, check_source
from medsins.errors import MedsinsError
from medsins.plugins import SourceCatalog, catalog


def _reports(found: SourceCatalog, name: str, raw: Path | None, quiet: bool) -> list[Report]:
    """The reports of ``name`` ('all': every source, broken ones included, each a failing report)."""
    if name != "all":
        broken = found.broken_named(name) if name not in found.sources else None
        if broken is not None:  # its reason, not "unknown source"
            return [broken_report(broken)]
        return [check_source(found.get(name), found.registry, raw)]
    sources = list(found)
    reports: list[Report] = []
    with progress.log_lines(quiet), progress.feedback("check-source", quiet, transient=True) as feedback, \
            feedback.stage("all", len(sources), eta_from_units=True) as stage:
        for source in sources:
            reports.append(check_source(source, found.registry, raw))
            stage.add_records(sum(reports[-1].counts.values()))
            stage.advance()
    return reports + [broken_report(b) for b in found.broken]


def run(args: argparse.Namespace) -> int:
    """Run the conformance suite; exit 1 on any error-level finding or any source that does not load."""
    found = catalog()
    raw = Path(args.raw) if args.raw else None
    if raw is not None and not raw.is_dir():
        raise MedsinsError(f"--raw {raw}: not a folder")
    reports = _reports(found, args.source, raw, args.quiet)
    if args.json:
        print_json([r.to_dict() for r in reports] if args.source == "all" else reports[0].to_dict())
    else:
        for report in reports:
            status = "PASS" if report.ok else "FAIL"
            if any(f.check == "source-loads" for f in report.findings):
                print(printable(f"{status} {report.source} ({report.raw_dir}): cannot be loaded"))
            else:
                counts = ", ".join(f"{t} {n}" for t, n in sorted(report.counts.items(),
                                                                  key=lambda kv: int(kv[0][4:])))
                print(printable(f"{status} {report.source} ({report.raw_dir}): {sum(report.counts.values())} "
                                f"records [{counts}], {report.rejected} rejected"))
            if report.findings:
                print_table(None, ["level", "check", "finding"],
                            [[f.level.value, f.check, f.message] for f in report.findings])
        errors = sum(1 for r in reports for f in r.findings if f.level is Level.ERROR)
        warnings = sum(1 for r in reports for f in r.findings if f.level is Level.WARNING)
        failing = [r.source for r in reports if not r.ok]
        line = f"{len(reports) - len(failing)}/{len(reports)} sources pass; {errors} errors, {warnings} warnings"
        print(printable(line + (f" (failing: {', '.join(failing)})" if failing else "")))
    return 0 if all(r.ok for r in reports) else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``check-source``."""
    p = subparsers.add_parser("check-source", help="run the conformance suite on a source ('all' for every one)")
    p.add_argument("source", help="source id, or 'all'")
    p.add_argument("--raw", metavar="DIR", help="check a conversion of this folder instead of the sample")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.add_argument("--quiet", action="store_true", help="no progress (check-source all)")
    limits.add_argument(p)
    p.set_defaults(func=run)
