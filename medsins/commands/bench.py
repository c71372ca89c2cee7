"""``medsins bench score``: score model predictions on MedS-Bench."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medsins import limits
from medsins.commands.output import printable, warning
from medsins.errors import MedsinsError

FORMATS = ("md", "csv", "json")
#: Problems repeated on stderr for the md and json formats (csv prints them all there).
PROBLEMS_SHOWN = 20


def run(args: argparse.Namespace) -> int:
    """Score the prediction files; print the report in ``--format``, write all formats to ``--out``."""
    from medsins.bench import score
    from medsins.bench.predictions import parse_prediction_argument

    if args.bootstrap < 0:
        raise MedsinsError("--bootstrap must be 0 (no intervals) or more")
    sources = [parse_prediction_argument(argument) for argument in args.predictions]
    report = score(sources, references=args.references, bootstrap=args.bootstrap, seed=args.seed,
                   notify=lambda line: print(printable(f"medsins: {line}"), file=sys.stderr))
    if args.format == "json":
        sys.stdout.write(report.to_json())
    elif args.format == "csv":
        sys.stdout.write(report.to_csv()["leaderboard"])
    else:
        sys.stdout.write(report.to_markdown())
    # Problems are in the report too; on stderr they reach a user who sends stdout to a file.
    shown = report.problems if args.format == "csv" else report.problems[:PROBLEMS_SHOWN]
    for problem in shown:
        warning(str(problem))
    if len(shown) < len(report.problems):
        warning(f"... and {len(report.problems) - len(shown)} more problems (all are in the report)")
    if args.out:
        written = report.write(Path(args.out))
        print(printable(f"wrote {', '.join(str(p) for p in written)}"), file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``bench`` with its ``score`` sub-command."""
    bench = subparsers.add_parser("bench", help="MedS-Bench: score model predictions")
    commands = bench.add_subparsers(dest="bench_command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "score",
        help="score prediction files and print a leaderboard",
        description=(
            "Score predictions (upstream CSV task_id,input,GT,output; JSONL with id or task_id+input and "
            "prediction) against the MedS-Bench references. Several files give several models (model = the "
            "file stem, a NAME=PATH prefix, or a model column); files of the same model are merged."
        ),
    )
    p.add_argument("predictions", nargs="+", metavar="PREDICTIONS", help="prediction files ([NAME=]PATH)")
    p.add_argument(
        "--references", metavar="REF",
        help="a release folder, a config name, or 'gt' (the CSV's GT column); default: the GT column when "
             "every row carries one, else the 'bench' config of $MEDSINS_RELEASE or the Hub",
    )
    p.add_argument("--out", metavar="DIR", help="also write report.md, report.json and CSV tables into DIR")
    p.add_argument("--format", choices=FORMATS, default="md", help="what to print (default: md)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap resamples for 95%% CIs (default 1000; 0: none)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="bootstrap seed (default 0)")
    limits.add_argument(p)
    p.set_defaults(func=run)
