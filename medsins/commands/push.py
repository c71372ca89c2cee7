"""``medsins push``: publish a release folder to the Hugging Face Hub."""

from __future__ import annotations

import argparse
from pathlib import Path

from medsins.commands.output import error, print_json, printable
from medsins.errors import MedsinsError

EPILOG = """\
The token is read from --token, else HF_TOKEN, else the saved login (`hf auth login`);
it is never printed. Prefer HF_TOKEN: a token on the command line lands in shell history.

examples:
  medsins push release/ --repo medsins/meds-ins --dry-run     # show the exact commits, change nothing
                                                              # (offline: planned against an empty repo)
  medsins push release/ --repo medsins/meds-ins               # create (if needed) and publish
  medsins push release/ --repo medsins/meds-ins --create-pr   # open a pull request instead
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``push`` sub-command."""
    parser = subparsers.add_parser(
        "push",
        help="publish a release folder as a Hugging Face dataset repo",
        description="Publish a release folder (from `medsins build`) as a dataset repo on the Hugging Face "
        "Hub. Only missing or changed files are uploaded; the card and manifest go in the last commit. A card "
        "built for another repo is published rewritten to name --repo (with a manifest that matches it).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("release_dir", metavar="RELEASE_DIR", type=Path, help="the release folder")
    parser.add_argument("--repo", required=True, metavar="ORG/NAME", help="dataset repo id")
    parser.add_argument(
        "--private",
        action="store_true",
        default=None,
        help="create the repo private (default: private unless the release is a redistributable public build)",
    )
    parser.add_argument("--create-pr", action="store_true", help="open a pull request instead of writing to the branch")
    parser.add_argument("--revision", metavar="BRANCH", help="branch to push to (created from main if missing)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the exact commits and files; change nothing (works offline: planned against an empty repo)",
    )
    parser.add_argument("--token", metavar="TOKEN", help="Hub token (default: HF_TOKEN or the saved login)")
    parser.add_argument(
        "--no-create",
        dest="create",
        action="store_false",
        help="fail if the repo does not exist instead of creating it",
    )
    parser.add_argument("--endpoint", metavar="URL", help="Hub URL (default: HF_ENDPOINT or https://huggingface.co)")
    parser.add_argument("--json", action="store_true",
                        help="print a machine-readable summary (the commits, their files, the URL) instead")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Push; print the plan or what was done. A :class:`MedsinsError` is one line on stderr, exit 1."""
    from medsins.release.push import push_release

    try:
        result = push_release(
            args.release_dir,
            args.repo,
            private=args.private,
            create_pr=args.create_pr,
            revision=args.revision,
            dry_run=args.dry_run,
            token=args.token,
            create=args.create,
            endpoint=args.endpoint,
        )
    except MedsinsError as exc:
        error(str(exc))
        return 1
    if args.json:
        print_json(result.summary())
        return 0
    for line in result.describe().splitlines():  # printable() escapes newlines: one line at a time
        print(printable(line))
    return 0
