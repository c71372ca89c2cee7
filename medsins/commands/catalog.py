"""``medsins sources`` and ``medsins tasks``: what the library knows."""

from __future__ import annotations

import argparse

from medsins.commands.output import error, print_json, print_table
from medsins.coverage import task_coverage
from medsins.plugins import catalog
from medsins.taxonomy import config_of


def source_rows() -> list[dict[str, object]]:
    """One dict per source: id, name, license, access, tasks, native, languages, error.

    A source that cannot be loaded is a row too: its id, ``error`` (why, in plain
    words) and nothing else known (None).
    """
    rows: list[dict[str, object]] = []
    for source in catalog():
        m = source.manifest
        rows.append({
            "id": m.id,
            "name": m.name,
            "license": m.license,
            "license_url": str(m.license_url) if m.license_url else None,
            "access": m.access.value,
            "redistributable": m.redistributable,
            "converter": "native" if m.native else "task-files",
            "languages": m.languages,
            "text_source": m.text_source.value,
            "tasks": m.tasks,
            "version": m.version,
            "homepage": str(m.homepage),
            "error": None,
        })
    keys = list(rows[0]) if rows else ["id", "error"]
    for broken in catalog().broken:
        rows.append({**dict.fromkeys(keys), "id": broken.name, "error": str(broken)})
    return rows


def task_rows(coverage: bool = False) -> list[dict[str, object]]:
    """One dict per task of the merged registry (with build coverage when asked)."""
    found = catalog()
    covered = {row.task_id: row for row in task_coverage(found)} if coverage else {}
    rows = []
    for task in found.registry:
        row: dict[str, object] = {
            "id": task.id,
            "name": task.name,
            "category": task.category.value,
            "config": config_of(task.category),
            "source": task.source,
            "corpus": task.corpus,
            "input_languages": task.input_languages,
            "output_languages": task.output_languages,
            "text_source": task.text_source.value,
            "split": task.split.value,
            "answer_format": task.answer_format.value,
            "benchmark": task.benchmark,
            "in_meds_ins": task.in_meds_ins,
            "addition": task.addition,
        }
        if coverage:
            row["native_sources"] = list(covered[task.id].native)
            row["task_file_sources"] = list(covered[task.id].task_files)
        rows.append(row)
    return rows


def run_sources(args: argparse.Namespace) -> int:
    """List built-in and plugin sources; a source that cannot be loaded is listed with why, and exits 1."""
    rows = source_rows()
    broken = catalog().broken
    if args.json:
        print_json(rows)
    else:
        print_table(
            f"{len(rows)} sources" + (f", {len(broken)} cannot be loaded" if broken else ""),
            ["id", "license", "access", "converter", "languages", "tasks"],
            [[r["id"], r["license"], r["access"], r["converter"], ",".join(r["languages"]),  # type: ignore[arg-type]
              _task_span(r["tasks"])] if r["error"] is None else
             [r["id"], "BROKEN", "", "", "", "see the error below"] for r in rows],
        )
    for problem in broken:  # stderr, so --json stays pure JSON
        error(str(problem))
    return 1 if broken else 0


def _task_span(tasks: object) -> str:
    items = list(tasks) if isinstance(tasks, list) else []
    return ", ".join(items) if len(items) <= 6 else f"{', '.join(items[:5])}, … ({len(items)} tasks)"


def run_tasks(args: argparse.Namespace) -> int:
    """List the task registry."""
    rows = task_rows(coverage=args.coverage)
    if args.json:
        print_json(rows)
        return 0
    headers = ["id", "config", "category", "source", "languages", "split", "bench"]
    table = [[r["id"], r["config"], r["category"], r["source"] or "UNKNOWN",
              "/".join(r["input_languages"]) + "→" + "/".join(r["output_languages"]), r["split"], r["benchmark"] or ""]
             for r in rows]
    if args.coverage:
        headers += ["native", "task files"]
        for line, r in zip(table, rows, strict=True):
            line += [", ".join(r["native_sources"]) or "—", ", ".join(r["task_file_sources"]) or "—"]
    print_table(f"{len(rows)} tasks", headers, table)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sources`` and ``tasks``."""
    p = subparsers.add_parser("sources", help="list the corpus sources (built-in and plugins)")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=run_sources)
    p = subparsers.add_parser("tasks", help="list the task registry")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.add_argument("--coverage", action="store_true", help="show which sources can build each task")
    p.set_defaults(func=run_tasks)
