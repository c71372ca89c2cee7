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


def test_bad_manifest_names_the_file_and_field_in_plain_words(tmp_path):
    path = tmp_path / "manifest.toml"
    path.write_text('id = "Bad Id"\nname = "x"\nlicence_url = "https://x.org"\n', encoding="utf-8")
    with pytest.raises(SourceError) as info:
        read_manifest(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "id 'Bad Id' is not valid: expected lower-case letters, digits and underscores" in message
    assert "homepage is missing (required)" in message
    assert "unknown key 'licence_url'; did you mean license_url?" in message
    assert "\n" not in message and "^" not in message and "pattern" not in message


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


# -- sources that fail to load are errors, in plain words ---------------------------------------------------

GOOD_CONVERTER = '''
from medsins.formats import read_jsonl
from medsins.plugins import Source
from medsins.records import Example, Split


class Converter(Source):
    def convert(self, raw_dir, report):
        for path in self.files(raw_dir, "faq.jsonl"):
            for where, row in read_jsonl(path, on_error=report):
                yield Example(task_id="task57", split=Split.TEST, input=row["q"], output=row["a"],
                              options=["A. yes", "B. no"], raw_id=row["id"], origin=self.origin(path, where))
'''


def write_source(root: Path, name: str, *, license: str = "CC0-1.0", converter: str = GOOD_CONVERTER,
                 tasks_toml: str | None = None, extra: str = "") -> Path:
    """A small source folder under ``root`` (for MEDSINS_SOURCE_PATH)."""
    folder = root / name
    (folder / "sample").mkdir(parents=True)
    manifest = PLUGIN_MANIFEST.replace('id = "clinic_faq"', f'id = "{name}"').replace(
        'license = "CC0-1.0"', f"license = {json.dumps(license)}").replace('tasks = ["task3001"]', 'tasks = ["task57"]')
    (folder / "manifest.toml").write_text(manifest.replace("[[raw_files]]", extra + "\n[[raw_files]]"),
                                          encoding="utf-8")
    (folder / "converter.py").write_text(textwrap.dedent(converter), encoding="utf-8")
    if tasks_toml is not None:
        (folder / "tasks.toml").write_text(tasks_toml, encoding="utf-8")
    (folder / "sample" / "faq.jsonl").write_text(
        '{"id": "1", "q": "Is water wet?\\nA. yes\\nB. no", "a": "A. yes"}\n'
        '{"id": "2", "q": "Is fire cold?\\nA. yes\\nB. no", "a": "B. no"}\n', encoding="utf-8")
    return folder


@pytest.fixture()
def source_path(tmp_path, monkeypatch):
    """MEDSINS_SOURCE_PATH → a fresh folder, with the process's catalog rediscovered around the test."""
    root = tmp_path / "extra_sources"
    root.mkdir()
    monkeypatch.setenv("MEDSINS_SOURCE_PATH", str(root))
    catalog.cache_clear()
    yield root
    catalog.cache_clear()


@pytest.mark.parametrize(("written", "suggested"), [
    ("CC BY 4.0", "CC-BY-4.0"),
    ("cc-by-nc-sa 4.0", "CC-BY-NC-SA-4.0"),
    ("Apache 2.0", "Apache-2.0"),
    ("The MIT License", "MIT"),
    ("LicenseRef-Clinic Terms", "LicenseRef-Clinic-Terms"),
])
def test_a_license_written_in_words_is_refused_with_its_spdx_id(tmp_path, written, suggested):
    folder = write_source(tmp_path, "worded", license=written)
    with pytest.raises(SourceError) as info:
        read_manifest(folder / "manifest.toml")
    assert str(info.value) == (f"{folder / 'manifest.toml'}: license {written!r} is not an SPDX id; "
                               f"did you mean {suggested}?")


def test_manifest_errors_say_what_is_expected_and_never_show_a_regex(tmp_path):
    folder = write_source(tmp_path, "several", license="Public Domain (sort of)")
    text = (folder / "manifest.toml").read_text(encoding="utf-8")
    text = (text.replace('languages = ["en"]', 'languages = ["EN"]').replace('access = "open"', 'access = "public"')
            .replace('tasks = ["task57"]', "tasks = []").replace('homepage = "https://example.org/faq"',
                                                                   'homepage = "example dot org"'))
    (folder / "manifest.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as info:
        read_manifest(folder / "manifest.toml")
    problems = str(info.value).removeprefix(f"{folder / 'manifest.toml'}: ").split("; ")
    assert problems == [
        "homepage 'example dot org' is not a web address: expected https://… (input should be a valid url, "
        "relative url without a base)",
        "license 'Public Domain (sort of)' is not an SPDX id: expected one such as CC-BY-4.0 or MIT "
        "(https://spdx.org/licenses/), LicenseRef-<name> for custom terms, or NOASSERTION when unknown",
        "access 'public' is not allowed: expected 'open', 'registered' or 'credentialed'",
        "languages item 1 'EN' is not valid: expected a two-letter lower-case ISO 639-1 code (e.g. en)",
        "tasks needs at least 1 item(s)",
    ]


def test_a_license_without_its_url_is_one_plain_sentence(tmp_path):
    folder = write_source(tmp_path, "nourl", license="MIT")
    text = (folder / "manifest.toml").read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("license_url"))
    (folder / "manifest.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as info:
        read_manifest(folder / "manifest.toml")
    assert str(info.value) == f"{folder / 'manifest.toml'}: license 'MIT' needs a license_url"


def test_broken_sources_are_listed_with_why_and_the_others_still_load(source_path):
    write_source(source_path, "good_faq")
    write_source(source_path, "worded", license="CC BY 4.0")
    write_source(source_path, "syntax", converter="class Converter(Source:\n")
    write_source(source_path, "bad_tasks", tasks_toml='[[task]]\nid = "task3001"\nname = "Bad Name"\n')
    write_source(source_path, "clash", tasks_toml=PLUGIN_TASKS.replace("task3001", "task57"))
    found = catalog()
    assert "good_faq" in found.sources and "pubmedqa" in found.sources
    why = {b.name: b.problem for b in found.broken}
    assert set(why) == {"worded", "syntax", "bad_tasks", "clash"}
    assert why["worded"].endswith("license 'CC BY 4.0' is not an SPDX id; did you mean CC-BY-4.0?")
    assert why["syntax"].startswith(f"{source_path / 'syntax' / 'converter.py'} cannot be imported: "
                                    "syntax error in converter.py, line 1: ")
    assert why["bad_tasks"].startswith(f"{source_path / 'bad_tasks' / 'tasks.toml'}: task #1 (task3001): name "
                                       "'Bad Name' is not valid: expected lower-case letters")
    assert "category is missing (required)" in why["bad_tasks"]
    assert why["clash"] == "task task57 is defined twice"
    with pytest.raises(SourceError) as info:
        found.get("worded")
    assert str(info.value).startswith(f"source 'worded' cannot be loaded: {source_path / 'worded' / 'manifest.toml'}")
    with pytest.raises(UnknownNameError):
        found.get("wordd")


def test_cli_reports_a_broken_source_as_an_error_everywhere(tmp_path):
    root = tmp_path / "extra"
    write_source(root, "mycorpus", license="CC BY 4.0")
    env = {**os.environ, "MEDSINS_SOURCE_PATH": str(root)}
    expected = (f"source 'mycorpus' cannot be loaded: {root / 'mycorpus' / 'manifest.toml'}: "
                "license 'CC BY 4.0' is not an SPDX id; did you mean CC-BY-4.0?")

    listed = run_cli("sources", "--json", env=env)
    assert listed.returncode == 1
    assert listed.stderr.splitlines() == [f"medsins: error: {expected}"]
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["mycorpus"]["error"] == expected and rows["mycorpus"]["license"] is None
    assert rows["pubmedqa"]["error"] is None

    one = run_cli("check-source", "mycorpus", env=env)
    assert one.returncode == 1
    assert "unknown source" not in one.stdout + one.stderr
    assert "license 'CC BY 4.0' is not an SPDX id; did you mean CC-BY-4.0?" in one.stdout
    assert one.stdout.splitlines()[-1] == "0/1 sources pass; 1 errors, 0 warnings (failing: mycorpus)"

    every = run_cli("check-source", "all", "--json", "--quiet", env=env)
    assert every.returncode == 1
    reports = json.loads(every.stdout)
    assert [r["source"] for r in reports if not r["ok"]] == ["mycorpus"]
    assert reports[-1]["findings"] == [{"level": "error", "check": "source-loads",
                                        "message": expected.split("cannot be loaded: ", 1)[1]}]

    built = run_cli("build", "--sources", "pubmedqa", "--out", str(tmp_path / "release"), "--quiet", env=env)
    assert built.returncode == 1
    assert built.stderr.splitlines() == [f"medsins: error: {expected} (fix or remove it: `medsins check-source all` "
                                         "checks every source)"]
    assert not (tmp_path / "release").exists()


def fake_distribution(site: Path, name: str, entry_points: str) -> None:
    """An installed distribution as importlib.metadata sees it: a dist-info folder on sys.path."""
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def test_a_third_party_entry_point_that_fails_is_a_failing_source(tmp_path):
    site = tmp_path / "site"
    fake_distribution(site, "medsins-typo-plugin", "[medsins.sources]\ntypo_corpus = medsins_typo_plugn:Corpus\n")
    (site / "medsins_wrong_attr.py").write_text("class Corpus:\n    pass\n", encoding="utf-8")
    fake_distribution(site, "medsins-wrong-attr", "[medsins.sources]\nwrong_attr = medsins_wrong_attr:Corpse\n"
                                                  "not_a_source = medsins_wrong_attr:Corpus\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}

    one = run_cli("check-source", "typo_corpus", "--json", env=env)
    assert one.returncode == 1, one.stderr
    report = json.loads(one.stdout)
    assert report["ok"] is False
    assert report["findings"][0]["message"] == (
        "entry point typo_corpus = medsins_typo_plugn:Corpus of medsins-typo-plugin: cannot be imported: "
        "module 'medsins_typo_plugn' is not installed (or its name is misspelt)")

    every = run_cli("check-source", "all", "--quiet", env=env)
    assert every.returncode == 1
    summary = every.stdout.splitlines()[-1]
    passed, total = (int(n) for n in summary.split(" ", 1)[0].split("/"))
    assert total - passed == 3
    assert summary.endswith("(failing: not_a_source, typo_corpus, wrong_attr)")
    assert "module 'medsins_wrong_attr' has no attribute 'Corpse'" in every.stdout
    assert "gives a Corpus, not a medsins Source subclass" in every.stdout
    assert "Traceback" not in every.stdout + every.stderr
