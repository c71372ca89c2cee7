"""``medsins new-source``: a working source folder to start from."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from medsins.errors import MedsinsError
from medsins.plugins import builtin_sources_dir, catalog

_MANIFEST = '''# The manifest of source {name}: fill in every field from the publisher's page.
id = "{name}"
name = "{title} (fill in the corpus's full name)"
homepage = "https://example.org/{name}"
citation = """Author, A. (Year). Title of the paper that introduces the corpus. Venue."""
# An SPDX id (https://spdx.org/licenses/) or LicenseRef-…, with the URL of the license text.
# NOASSERTION keeps the source out of public releases until the license is known.
license = "NOASSERTION"
access = "open"              # open | registered | credentialed
languages = ["en"]
text_source = "medical_knowledge"   # exam | medical_knowledge | clinical_text | academic_paper | daily_conversation
tasks = ["{task}"]
version = "0.1.0"
description = "What the corpus is and what the converter reads."

[[raw_files]]
pattern = "{name}.jsonl"     # the corpus's native file name(s); globs allowed
description = "One JSON object per line with question and answer."
'''

_TASKS = '''# Task cards this source introduces (ids outside the upstream MedS-Ins range).
[[task]]
id = "{task}"
name = "{name}_qa"
category = "Question Answering"
source = "{name}"
corpus = "{title}"
input_languages = ["en"]
output_languages = ["en"]
text_source = "medical_knowledge"
split = "train"
answer_format = "text"
domains = ["medicine"]
addition = true
in_meds_ins = false
definition = "Answer the medical question in one or two sentences, using only well-established facts."
instructions = [
  "Answer the following medical question briefly.",
  "Give a short, factual answer to this question about health.",
]
'''

_CONVERTER = '''"""Converter for {title}: maps its native files to MedS-Ins task examples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split


class Converter(Source):
    """Reads ``{name}.jsonl`` (one question/answer object per line)."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "{name}.jsonl"):
            for where, row in read_jsonl(path, on_error=report):
                question, answer = row.get("question"), row.get("answer")
                if not isinstance(question, str) or not isinstance(answer, str):
                    report(InputError(path, where, "expected string fields 'question' and 'answer'"))
                    continue
                yield Example(
                    task_id="{task}",
                    split=Split.TRAIN,
                    input=question,
                    output=answer,
                    raw_id=str(row.get("id", where)),
                    origin=self.origin(path, where),
                )
'''

_SAMPLE = (
    '{{"id": "q1", "question": "What vitamin deficiency causes scurvy?", '
    '"answer": "Scurvy is caused by a lack of vitamin C."}}\n'
    '{{"id": "q2", "question": "Which organ produces insulin?", '
    '"answer": "Insulin is produced by the beta cells of the pancreas."}}\n'
)

_TEST = '''"""Tests for the {name} source: it converts its sample and passes check-source."""

from pathlib import Path

from medsins.conformance import check_source
from medsins.convert import convert_source
from medsins.plugins import catalog
from medsins.records import Record


def test_{name}_sample_converts_and_conforms():
    found = catalog()
    source = found.get("{name}")
    items = list(convert_source(source, None, found.registry))
    assert all(isinstance(i, Record) for i in items)
    assert [r.output for r in items][0] == "Scurvy is caused by a lack of vitamin C."
    report = check_source(source, found.registry)
    assert report.ok, report.findings
'''


def _next_task_id() -> str:
    taken = {int(t.id[4:]) for t in catalog().registry}
    number = 2001
    while number in taken:
        number += 1
    return f"task{number}"


def run(args: argparse.Namespace) -> int:
    """Create ``<dir>/<name>/`` with manifest, tasks, converter, sample and a test."""
    name = args.name
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise MedsinsError(f"source name {name!r}: use lower-case letters, digits and underscores")
    if name in catalog().sources:
        raise MedsinsError(f"source {name!r} already exists")
    root = Path(args.dir) if args.dir else builtin_sources_dir()
    folder = root / name
    if folder.exists():
        raise MedsinsError(f"{folder} already exists")
    task = args.task or _next_task_id()
    title = name.replace("_", " ").title()
    values = {"name": name, "title": title, "task": task}
    (folder / "sample").mkdir(parents=True)
    (folder / "manifest.toml").write_text(_MANIFEST.format(**values), encoding="utf-8")
    if not args.task:
        (folder / "tasks.toml").write_text(_TASKS.format(**values), encoding="utf-8")
    (folder / "converter.py").write_text(_CONVERTER.format(**values), encoding="utf-8")
    (folder / "sample" / f"{name}.jsonl").write_text(_SAMPLE.format(), encoding="utf-8")
    tests = Path(args.tests) if args.tests else root.parent / "tests"
    test_file = tests / f"test_source_{name}.py"
    if tests.is_dir() and not test_file.exists():
        test_file.write_text(_TEST.format(**values), encoding="utf-8")
    print(f"created {folder} (task {task})")
    print("next: fill in manifest.toml, replace sample/ with real native-format items, "
          f"edit converter.py, then run: medsins check-source {name}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``new-source``."""
    p = subparsers.add_parser("new-source", help="scaffold a new source folder")
    p.add_argument("name", help="source id (lower-case corpus name)")
    p.add_argument("--dir", help="where to create it (default: the built-in sources folder)")
    p.add_argument("--task", help="an existing task id it feeds (default: a new task card)")
    p.add_argument("--tests", help="tests folder for the generated test (default: ../tests)")
    p.set_defaults(func=run)
