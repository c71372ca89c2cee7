"""``medsins bench score`` and ``medsins bench run``: evaluate models on MedS-Bench."""

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
    if args.metrics == "upstream":
        return _score_upstream(sources, args)
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
    # Like convert: the report covers what could be read, and a rejected row or file fails the command.
    return 1 if any(problem.rejected for problem in report.problems) else 0


def _score_upstream(sources: list, args: argparse.Namespace) -> int:
    """``--metrics upstream``: the figures MedS-Ins' own scripts compute (docs/bench.md)."""
    from medsins.bench import pairs
    from medsins.bench.upstream import score_upstream, to_markdown
    from medsins.plugins import catalog

    registry = catalog().registry
    scores = score_upstream(pairs(sources, references=args.references, registry=registry), registry)
    if args.format == "json":
        import json
        from dataclasses import asdict

        sys.stdout.write(json.dumps([asdict(s) for s in scores], indent=1) + "\n")
    elif args.format == "csv":
        sys.stdout.write("model,task_id,category,metric,score,items\n" + "".join(
            f"{s.model},{s.task_id},{s.category},{s.metric},{s.value:.4f},{s.n}\n" for s in scores))
    else:
        sys.stdout.write(to_markdown(scores))
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.upstream.md").write_text(to_markdown(scores), encoding="utf-8")
    return 0


def run_model(args: argparse.Namespace) -> int:
    """Ask a model every selected item (resuming), write predictions and prompt logs, then score them."""
    from medsins.bench import score
    from medsins.bench.backends import make_backend
    from medsins.bench.run import RunSettings, load_rows, plan
    from medsins.bench.run import run as run_items
    from medsins.bench.tokens import UPSTREAM_MAX_INPUT_TOKENS
    from medsins.plugins import catalog
    from medsins.progress import Stage, log_lines

    for name, value, least in (("--shots", args.shots, 0), ("--concurrency", args.concurrency, 1),
                               ("--max-tokens", args.max_tokens, 1), ("--limit", args.limit, 1)):
        if value is not None and value < least:
            raise MedsinsError(f"{name} must be {least} or more")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise MedsinsError(f"--out {out}: not a folder")
    if args.max_input_tokens is not None and args.max_input_tokens < 0:
        raise MedsinsError("--max-input-tokens must be 0 (no truncation) or more")
    max_input = args.max_input_tokens
    if max_input is None:
        max_input = UPSTREAM_MAX_INPUT_TOKENS if args.protocol == "upstream" else 0
    settings = RunSettings(
        tasks=tuple(t.strip() for t in args.tasks.split(",") if t.strip()), shots=args.shots, seed=args.seed,
        instruction=args.instruction, protocol=args.protocol, limit=args.limit, max_tokens=args.max_tokens,
        concurrency=args.concurrency, max_input_tokens=max_input or None,
    )
    backend = make_backend(args.model, base_url=args.base_url, protocol=args.protocol,
                           max_input_tokens=max_input or None, tokenizer=args.tokenizer, batch_size=args.concurrency)
    if args.tokenizer and not max_input:
        warning("--tokenizer is used only to truncate prompts: give --max-input-tokens N (or --protocol upstream)")
    if max_input and backend.max_input_tokens is None:
        warning(f"prompts are not truncated at {max_input} tokens: {args.model.partition(':')[0]}: needs "
                "--tokenizer PATH_OR_REPO (the model's Hugging Face tokenizer) to count them; sent whole")
    registry = catalog().registry
    items = plan(load_rows(args.references, settings, registry), settings, registry)
    with log_lines(args.quiet):
        stage = Stage("bench run", None, "records", records_total=len(items), log=not args.quiet)
        stage.open()  # the total becomes the items left to ask once the log has been read
        ok = False
        try:
            result = run_items(backend, items, out, settings, on_done=stage.add_records,
                               on_start=lambda n: setattr(stage, "records_total", n))
            ok = True
        finally:
            stage.close(ok)
    print(printable(f"bench run: {result.asked} asked, {result.skipped} already answered, "
                    f"{len(result.failed)} failed; wrote {out}"), file=sys.stderr)
    for item_id, why in result.failed[:PROBLEMS_SHOWN]:
        warning(f"{item_id}: {why}")
    if len(result.failed) > PROBLEMS_SHOWN:
        warning(f"... and {len(result.failed) - PROBLEMS_SHOWN} more failed items")
    if not args.no_score and result.answers:
        model = args.model.partition(":")[2] or args.model
        report = score({model: out / "predictions.jsonl"}, references=result.references(),
                       bootstrap=args.bootstrap, seed=args.seed)
        sys.stdout.write(report.to_markdown())
        report.write(out / "report")
    return 1 if result.failed else 0


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
    p.add_argument("--metrics", choices=("medsins", "upstream"), default="medsins",
                   help="medsins's metrics (default) or MedS-Ins' own scripts' (BLEU-1 sentence, rouge ROUGE-L, "
                        "first-character MCQA, ...; docs/bench.md)")
    limits.add_argument(p)
    p.set_defaults(func=run)
    _register_run(commands)


def _register_run(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "run",
        help="ask a model every MedS-Bench item, write predictions and prompt logs, score them",
        description=(
            "Build each item's prompt (instruction, k few-shot examples chosen from the seed and the item id, "
            "the input), ask the model, log prompt/completion/latency/tokens to OUT/prompts.jsonl, write "
            "OUT/predictions.jsonl and OUT/predictions.csv, then score them. A rerun asks only the items whose "
            "current prompt has no answer yet."
        ),
    )
    p.add_argument("--model", required=True, metavar="SPEC",
                   help="openai:<model> (any OpenAI-compatible server; key from $OPENAI_API_KEY), "
                        "hf:<path-or-repo> (transformers on this machine) or vllm:<path-or-repo> (vLLM, a GPU)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (reused: a rerun resumes)")
    p.add_argument("--references", metavar="RELEASE",
                   help="a release folder or a Hub dataset repo (default: $MEDSINS_RELEASE or the Hub)")
    p.add_argument("--tasks", default="bench", metavar="NAMES",
                   help="comma-separated: bench, a category (mcqa), a task id (task57) (default: bench)")
    p.add_argument("--shots", type=int, default=3, metavar="K", help="few-shot examples (default 3)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of shots, instructions, bootstrap")
    p.add_argument("--instruction", choices=("definition", "random"), default="definition",
                   help="the task definition, or a variant from instructions.json picked by seed and id")
    p.add_argument("--protocol", choices=("medsins", "upstream"), default="medsins",
                   help="prompt layout (docs/bench.md); upstream = MedS-Ins' EvalDataset.py")
    p.add_argument("--limit", type=int, metavar="N", help="at most N items per task (the first by id)")
    p.add_argument("--concurrency", type=int, default=8, metavar="K",
                   help="requests in flight (openai:), or the batch size (hf:, vllm:) (default 8)")
    p.add_argument("--max-tokens", type=int, default=512, metavar="N", help="completion tokens (default 512)")
    p.add_argument("--max-input-tokens", type=int, metavar="N",
                   help="cut each prompt from the right at N tokens, as upstream (default: 2048 under --protocol "
                        "upstream, none under medsins; 0: none)")
    p.add_argument("--tokenizer", metavar="PATH_OR_REPO",
                   help="openai: only: the model's Hugging Face tokenizer (a folder, or a repo in the local cache; "
                        "never downloaded), to truncate prompts at --max-input-tokens")
    p.add_argument("--base-url", metavar="URL", help="server URL, e.g. http://localhost:8000/v1 "
                                                      "(default: $OPENAI_BASE_URL or api.openai.com)")
    p.add_argument("--no-score", action="store_true", help="do not score the predictions")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run_model)
