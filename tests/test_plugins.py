"""Source discovery: built-in folders, MEDSINS_SOURCE_PATH, and a pip-installed plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from medsins.errors import SourceError, UnknownNameError
from medsins.plugins import catalog, read_manifest

MEDSINS = [sys.executable, "-m", "medsins.cli"]


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*MEDSINS, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_builtin_sources_are_discovered_with_their_folder_names():
    found = catalog()
    assert not found.problems, found.problems
    assert "pubmedqa" in found.sources
    for source in found:
        assert source.root.name == source.id
        assert source.manifest.tasks


def test_unknown_source_suggests_close_names():
    with pytest.raises(UnknownNameError) as info:
        catalog().get("pubmedq")
    assert "pubmedqa" in str(info.value)


def test_bad_manifest_names_the_file_and_field(tmp_path):
    path = tmp_path / "manifest.toml"
    path.write_text('id = "Bad Id"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(SourceError) as info:
        read_manifest(path)
    message = str(info.value)
    assert str(path) in message
    assert "id:" in message
    assert "homepage: Field required" in message


PLUGIN_PYPROJECT = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "medsins-example-source"
version = "0.1.0"

[project.entry-points."medsins.sources"]
clinic_faq = "medsins_example_source:ClinicFaq"

[tool.hatch.build.targets.wheel]
packages = ["medsins_example_source"]
"""

PLUGIN_INIT = '''
"""A third-party medsins source: a clinic's FAQ as JSON Lines."""
from medsins.formats import read_jsonl
from medsins.plugins import Source
from medsins.records import Example, Split


class ClinicFaq(Source):
    def convert(self, raw_dir, report):
        for path in self.files(raw_dir, "faq.jsonl"):
            for where, row in read_jsonl(path, on_error=report):
                yield Example(task_id="task3001", split=Split.TRAIN, input=row["q"], output=row["a"],
                              raw_id=row["id"], origin=self.origin(path, where))
'''

PLUGIN_MANIFEST = """
id = "clinic_faq"
name = "Example clinic FAQ"
homepage = "https://example.org/faq"
citation = "Example Clinic (2026). Frequently asked questions."
license = "CC0-1.0"
license_url = "https://creativecommons.org/publicdomain/zero/1.0/legalcode"
access = "open"
languages = ["en"]
text_source = "medical_knowledge"
tasks = ["task3001"]

[[raw_files]]
pattern = "faq.jsonl"
"""

PLUGIN_TASKS = """
[[task]]
id = "task3001"
name = "clinic_faq_answering"
category = "Question Answering"
source = "clinic_faq"
corpus = "Example clinic FAQ"
input_languages = ["en"]
output_languages = ["en"]
text_source = "medical_knowledge"
split = "train"
addition = true
in_meds_ins = false
definition = "Answer a patient's practical question about visiting the clinic."
instructions = ["Answer the patient's question."]
"""


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory) -> dict[str, str]:
    """Build and pip-install a tiny plugin package into an isolated target folder."""
    root = tmp_path_factory.mktemp("plugin")
    package = root / "medsins_example_source"
    (package / "sample").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PLUGIN_PYPROJECT, encoding="utf-8")
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN_INIT), encoding="utf-8")
    (package / "manifest.toml").write_text(PLUGIN_MANIFEST, encoding="utf-8")
    (package / "tasks.toml").write_text(PLUGIN_TASKS, encoding="utf-8")
    (package / "sample" / "faq.jsonl").write_text(
        '{"id": "1", "q": "Do I need to fast before a blood test?", "a": "Only for fasting glucose or lipids."}\n'
        '{"id": "2", "q": "Can I bring my own medicines?", "a": "Yes, bring them in their original boxes."}\n',
        encoding="utf-8",
    )
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(root)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH", "")]))
    return env


def test_installed_plugin_is_listed_with_its_license(installed_plugin):
    result = run_cli("sources", "--json", env=installed_plugin)
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["clinic_faq"]["license"] == "CC0-1.0"
    assert rows["clinic_faq"]["tasks"] == ["task3001"]
    assert "pubmedqa" in rows


def test_installed_plugin_passes_check_source_and_adds_its_task(installed_plugin):
    result = run_cli("check-source", "clinic_faq", "--json", env=installed_plugin)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["counts"] == {"task3001": 2}
    tasks = json.loads(run_cli("tasks", "--json", env=installed_plugin).stdout)
    assert {"id": "task3001", "config": "qa"}.items() <= next(t for t in tasks if t["id"] == "task3001").items()


def test_plugin_absent_without_install():
    rows = json.loads(run_cli("sources", "--json").stdout)
    assert "clinic_faq" not in {row["id"] for row in rows}
