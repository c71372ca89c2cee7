"""``medsins new-source``: the in-tree layout in a checkout, a plugin package anywhere else.

The plugin package is tested the way a contributor uses it: it is pip-installed
(``--no-deps --no-build-isolation --target``: the real build backend and the real
dist-info with its entry point, without creating a venv, well under a second) and
then found by a fresh ``medsins`` process through the ``medsins.sources`` entry point.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from itertools import count
from pathlib import Path

import pytest

import medsins
from medsins.cli import main
from medsins.commands import scaffold
from medsins.conformance import check_source
from medsins.plugins import catalog

ROOT = Path(__file__).resolve().parent.parent


def next_free_task_id() -> str:
    registry = catalog().registry
    return next(f"task{n}" for n in count(2001) if f"task{n}" not in registry)


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medsins", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


# -- where medsins runs from -------------------------------------------------------------------------------


def test_this_editable_install_is_a_checkout():
    assert scaffold.checkout_root() == ROOT


def test_an_installed_package_is_not_a_checkout(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    (site / "medsins").mkdir(parents=True)
    monkeypatch.setattr(medsins, "__file__", str(site / "medsins" / "__init__.py"))
    assert scaffold.checkout_root() is None
    # A folder beside the package that holds sources/ but is another project is not one either.
    (site / "sources").mkdir()
    (site / "pyproject.toml").write_text('[project]\nname = "something-else"\n', encoding="utf-8")
    assert scaffold.checkout_root() is None
    (site / "pyproject.toml").write_text('[project]\nname = "medsins"\n', encoding="utf-8")
    assert scaffold.checkout_root() == site


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_checkout_is_not_written_into(tmp_path, monkeypatch):
    (tmp_path / "medsins").mkdir()
    (tmp_path / "sources").mkdir(mode=0o555)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "medsins"\n', encoding="utf-8")
    monkeypatch.setattr(medsins, "__file__", str(tmp_path / "medsins" / "__init__.py"))
    assert scaffold.checkout_root() is None


# -- the template ----------------------------------------------------------------------------------------


def test_the_manifest_template_has_every_key_to_fill_each_with_a_comment(tmp_path, monkeypatch):
    monkeypatch.setattr(scaffold, "checkout_root", lambda: None)
    monkeypatch.chdir(tmp_path)
    assert main(["new-source", "keys_demo"]) == 0
    text = (tmp_path / "medsins-source-keys_demo" / "medsins_source_keys_demo" / "manifest.toml").read_text("utf-8")
    manifest = tomllib.loads(text)
    assert {"id", "name", "homepage", "citation", "license", "license_url", "access", "synthetic_sample",
            "languages", "text_source", "tasks", "version", "description", "unverified_reason",
            "raw_files"} <= set(manifest)
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[a-z_]+ = ", line):
            assert lines[number - 1].startswith("#") or " # " in line, f"no comment for: {line}"


def test_bad_or_taken_names_are_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["new-source", "Bad-Name"]) == 1
    assert main(["new-source", "pubmedqa", "--package"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["medsins: error: source name 'Bad-Name': use lower-case letters, digits and underscores, "
                   "starting with a letter", "medsins: error: source 'pubmedqa' already exists"]
    assert list(tmp_path.iterdir()) == []


# -- in a checkout: sources/NAME and tests/test_source_NAME.py --------------------------------------------


def test_in_a_checkout_the_source_goes_into_its_sources_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "sources").mkdir()
    (tmp_path / "tests").mkdir()
    monkeypatch.setattr(scaffold, "checkout_root", lambda: tmp_path)
    expected_task = next_free_task_id()
    assert main(["new-source", "tree_demo"]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "sources" / "tree_demo"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "converter.py", "manifest.toml", "sample", "sample/tree_demo.jsonl", "tasks.toml"]
    assert f"created {folder} (task {expected_task})" in out
    assert "python -m medsins.coverage" in out  # the coverage table changes with every new source
    test_file = tmp_path / "tests" / "test_source_tree_demo.py"
    # The generated source loads, conforms and its generated test passes.
    monkeypatch.setenv("MEDSINS_SOURCE_PATH", str(tmp_path / "sources"))
    catalog.cache_clear()
    try:
        found = catalog()
        assert not found.broken, found.problems
        report = check_source(found.get("tree_demo"), found.registry)
        assert report.ok and report.counts == {expected_task: 2}
        spec = importlib.util.spec_from_file_location("generated_test_tree_demo", test_file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.test_tree_demo_sample_converts_and_conforms()
    finally:
        catalog.cache_clear()


# -- installed (not a checkout): a standalone plugin package ----------------------------------------------


def test_outside_a_checkout_new_source_makes_a_plugin_package_that_installs_and_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(scaffold, "checkout_root", lambda: None)  # as after a non-editable `pip install .`
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    expected_task = next_free_task_id()
    assert main(["new-source", "clinic_demo"]) == 0
    package = work / "medsins-source-clinic_demo"
    assert sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()) == [
        "README.md", "medsins_source_clinic_demo/__init__.py", "medsins_source_clinic_demo/converter.py",
        "medsins_source_clinic_demo/manifest.toml", "medsins_source_clinic_demo/sample/clinic_demo.jsonl",
        "medsins_source_clinic_demo/tasks.toml", "pyproject.toml", "tests/test_clinic_demo.py"]
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["medsins.sources"] == {
        "clinic_demo": "medsins_source_clinic_demo.converter:Converter"}
    assert not (ROOT / "sources" / "clinic_demo").exists()

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(package)], check=True, capture_output=True, text=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    env.pop("MEDSINS_SOURCE_PATH", None)
    elsewhere = tmp_path  # not the package folder: the installed copy must be the one found
    checked = run_cli("check-source", "clinic_demo", "--json", env=env, cwd=elsewhere)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["raw_dir"] == str(site / "medsins_source_clinic_demo" / "sample")
    assert report["counts"] == {expected_task: 2}
    assert [f["check"] for f in report["findings"]] == ["license-known", "manifest-filled"]
    tasks = json.loads(run_cli("tasks", "--json", env=env, cwd=elsewhere).stdout)
    assert next(t for t in tasks if t["id"] == expected_task)["source"] == "clinic_demo"
    # The package's own test passes against the installed plugin.
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(package / "tests" / "test_clinic_demo.py")],
                            capture_output=True, text=True, env=env, cwd=elsewhere, timeout=300)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout


def test_package_flag_makes_a_plugin_package_in_a_checkout_too(tmp_path, capsys):
    assert main(["new-source", "flag_demo", "--package", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "medsins-source-flag_demo" / "pyproject.toml").is_file()
    assert "created the plugin package" in capsys.readouterr().out
    assert not (ROOT / "sources" / "flag_demo").exists()
