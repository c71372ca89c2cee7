"""``medsins new-source``: a working source to start from.

In a medsins checkout (an editable install) the source goes into the checkout:
``sources/NAME/`` and ``tests/test_source_NAME.py``. In an installed medsins
(``pip install medsins`` or ``pip install .``), the package folder is
site-packages, which nobody should write into: the source becomes a standalone
plugin package ``medsins-source-NAME/`` in the current folder, with a
``pyproject.toml`` that registers it under the ``medsins.sources`` entry point.
"""

from __future__ import annotations

import argparse
import os
import re
import tomllib
from pathlib import Path

from medsins import __version__
from medsins.errors import MedsinsError
from medsins.plugins import ENTRY_POINT_GROUP, catalog
from medsins.registry import Registry

_MANIFEST = '''# The manifest of source {name}. Replace every value from the publisher's page;
# `medsins check-source {name}` warns while a template placeholder (example.org, "fill in") is left.

# The source id: lower-case letters, digits and underscores; equal to the folder name.
id = "{name}"
# The corpus's full name, as its authors write it.
name = "{title} (fill in the corpus's full name)"
# The corpus's home page (where it is described and downloaded).
homepage = "https://example.org/{name}"
# How the authors ask to be cited (at least 10 characters).
citation = """Author, A. (Year). Title of the paper that introduces the corpus. Venue."""
# An SPDX id (https://spdx.org/licenses/: "CC-BY-4.0", "MIT"; not "CC BY 4.0"), "LicenseRef-<name>"
# for custom terms, or "NOASSERTION" while unknown (keeps the source out of public releases).
license = "NOASSERTION"
# The URL of the license text; required for any license but NOASSERTION.
license_url = "https://example.org/{name}/license"
# open (anyone downloads it) | registered (an account or data-use agreement) | credentialed (PhysioNet).
access = "open"
# true when the sample is invented: required for anything not open (never ship real restricted records).
synthetic_sample = false
# ISO 639-1 codes of the corpus's text.
languages = ["en"]
# exam | medical_knowledge | clinical_text | academic_paper | daily_conversation
text_source = "medical_knowledge"
# Every task id the converter yields (`medsins tasks`; new tasks are defined in tasks.toml).
tasks = ["{task}"]
# The converter's version: raise it when the converter's output changes.
version = "0.1.0"
# What the corpus is and what the converter reads.
description = "What the corpus is and what the converter reads."
# Why no real copy of the corpus was checked yet; replace by [[verified]] entries once one was.
unverified_reason = "checked only on the hand-written sample so far"

# One [[raw_files]] table per native file the converter reads.
[[raw_files]]
# The corpus's native file name(s); globs allowed ("*.PubTator.txt").
pattern = "{name}.jsonl"
# What the file holds (its format and fields).
description = "One JSON object per line with question and answer."
# required = false for a file the converter reads only when present.
required = true

# Once the converter was run on a real copy of the corpus and compared by hand:
# [[verified]]
# repository = "owner/name"                                   # a GitHub copy of the corpus
# commit = "0123456789abcdef0123456789abcdef01234567"       # the full commit id
# files = ["data/{name}.jsonl"]                              # the files converted
# checked = "what was compared by hand: counts per task, a few exact records"
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
    '{"id": "q1", "question": "What vitamin deficiency causes scurvy?", '
    '"answer": "Scurvy is caused by a lack of vitamin C."}\n'
    '{"id": "q2", "question": "Which organ produces insulin?", '
    '"answer": "Insulin is produced by the beta cells of the pancreas."}\n'
)

_TEST = '''"""Tests for the {name} source: it converts its sample and passes check-source."""

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

_PYPROJECT = '''[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "{distribution}"
version = "0.1.0"
description = "medsins source plugin: {title}"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["medsins>={medsins_version}"]

[project.optional-dependencies]
test = ["pytest>=8"]

# How medsins finds this source once the package is installed: the entry point names the
# Source subclass; its manifest.toml, tasks.toml and sample/ sit beside the module.
[project.entry-points."{group}"]
{name} = "{module}.converter:Converter"

[tool.hatch.build.targets.wheel]
packages = ["{module}"]
'''

_README = '''# {distribution}

A [medsins](https://github.com/medsins/medsins) source plugin for {title}.

```bash
pip install -e '.[test]'          # medsins discovers the source through its entry point
medsins sources                   # lists {name}
medsins check-source {name}       # the conformance suite on the sample
pytest                            # the source's own test
```

Fill in `{module}/manifest.toml`, replace `{module}/sample/` with a few items you write in the
corpus's exact native format and file names, and edit `{module}/converter.py`.
'''


def next_task_id(registry: Registry) -> str:
    """The first free task id from task2001 on (ids below are the upstream range)."""
    taken = {task.number for task in registry}
    number = 2001
    while number in taken:
        number += 1
    return f"task{number}"


def checkout_root() -> Path | None:
    """The medsins checkout this package is imported from (an editable install), else None.

    A checkout has ``pyproject.toml`` of the medsins project and a writable
    ``sources/`` folder beside the package; an installed medsins (site-packages)
    has neither, and writing into it would be lost on the next install.
    """
    import medsins

    root = Path(medsins.__file__).resolve().parent.parent
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    sources = root / "sources"
    if project.get("name") != "medsins" or not sources.is_dir() or not os.access(sources, os.W_OK):
        return None
    return root


def _write_source(folder: Path, values: dict[str, str], with_tasks: bool) -> None:
    """A source folder: manifest, task cards (for a new task), converter, sample."""
    (folder / "sample").mkdir(parents=True)
    (folder / "manifest.toml").write_text(_MANIFEST.format(**values), encoding="utf-8")
    if with_tasks:
        (folder / "tasks.toml").write_text(_TASKS.format(**values), encoding="utf-8")
    (folder / "converter.py").write_text(_CONVERTER.format(**values), encoding="utf-8")
    (folder / "sample" / f"{values['name']}.jsonl").write_text(_SAMPLE, encoding="utf-8")


def scaffold_package(parent: Path, name: str, task: str | None = None) -> Path:
    """Create the standalone plugin package ``parent/medsins-source-NAME/``; returns its folder."""
    values = _values(name, task)
    package = parent / f"medsins-source-{name}"
    if package.exists():
        raise MedsinsError(f"{package} already exists")
    module = values["module"]
    _write_source(package / module, values, with_tasks=task is None)
    (package / module / "__init__.py").write_text(f'"""medsins source plugin: {values["title"]}."""\n',
                                                  encoding="utf-8")
    (package / "pyproject.toml").write_text(_PYPROJECT.format(**values), encoding="utf-8")
    (package / "README.md").write_text(_README.format(**values), encoding="utf-8")
    (package / "tests").mkdir()
    (package / "tests" / f"test_{name}.py").write_text(_TEST.format(**values), encoding="utf-8")
    return package


def _values(name: str, task: str | None) -> dict[str, str]:
    return {
        "name": name,
        "title": name.replace("_", " ").title(),
        "task": task or next_task_id(catalog().registry),
        "module": f"medsins_source_{name}",
        "distribution": f"medsins-source-{name.replace('_', '-')}",
        "group": ENTRY_POINT_GROUP,
        "medsins_version": __version__,
    }


def run(args: argparse.Namespace) -> int:
    """Create the source: in the checkout, in ``--dir``, or as a standalone plugin package."""
    name = args.name
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise MedsinsError(f"source name {name!r}: use lower-case letters, digits and underscores, "
                           "starting with a letter")
    found = catalog()
    if name in found.sources or found.broken_named(name) is not None:
        raise MedsinsError(f"source {name!r} already exists")
    checkout = checkout_root()
    if args.package or (checkout is None and args.dir is None):
        package = scaffold_package(Path(args.dir) if args.dir else Path.cwd(), name, args.task)
        values = _values(name, args.task)
        print(f"created the plugin package {package} (task {values['task']})")
        print(f"next: cd {package} && pip install -e '.[test]'; fill in {values['module']}/manifest.toml, "
              f"replace {values['module']}/sample/ with real native-format items, edit converter.py, "
              f"then run: medsins check-source {name}")
        return 0
    root = Path(args.dir) if args.dir else checkout / "sources"  # type: ignore[operator]
    folder = root / name
    if folder.exists():
        raise MedsinsError(f"{folder} already exists")
    values = _values(name, args.task)
    _write_source(folder, values, with_tasks=args.task is None)
    tests = Path(args.tests) if args.tests else root.parent / "tests"
    test_file = tests / f"test_source_{name}.py"
    if tests.is_dir() and not test_file.exists():
        test_file.write_text(_TEST.format(**values), encoding="utf-8")
    print(f"created {folder} (task {values['task']})")
    hint = "" if args.dir else "; then regenerate the coverage table: python -m medsins.coverage"
    print("next: fill in manifest.toml, replace sample/ with real native-format items, "
          f"edit converter.py, then run: medsins check-source {name}"
          + (f" (with MEDSINS_SOURCE_PATH={root})" if args.dir else "") + hint)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``new-source``."""
    p = subparsers.add_parser(
        "new-source", help="scaffold a new source (in a checkout: sources/NAME; installed: a plugin package)")
    p.add_argument("name", help="source id (lower-case corpus name)")
    p.add_argument("--dir", help="where to create the source folder (for MEDSINS_SOURCE_PATH), or with "
                                 "--package the package (default: the checkout's sources/, or the current folder)")
    p.add_argument("--package", action="store_true",
                   help="create a standalone plugin package medsins-source-NAME/ (the default outside a checkout)")
    p.add_argument("--task", help="an existing task id it feeds (default: a new task card)")
    p.add_argument("--tests", help="tests folder for the generated test (default: ../tests)")
    p.set_defaults(func=run)
