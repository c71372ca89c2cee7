"""The command line: JSON purity, one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from medsins.cli import main

ALL_TASKS = (
    [f"task{n}" for n in (1, 2, 3)]
    + [f"task{n}" for n in range(11, 30)]
    + ["task31", "task33"]
    + [f"task{n}" for n in range(35, 121)]
    + [f"task{n}" for n in (124, 125, 126)]
    + [f"task{n}" for n in range(128, 137)]
)
BENCH_ONLY = ["task122", "task123", "task127"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medsins.cli", *args], capture_output=True, text=True, timeout=300)


def test_tasks_json_lists_every_meds_ins_and_bench_task():
    result = cli("tasks", "--json")
    assert result.returncode == 0
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert len(ALL_TASKS) == 122
    assert set(ALL_TASKS + BENCH_ONLY) <= set(rows)
    assert rows["task125"]["config"] == "ner"
    assert rows["task125"]["category"] == "Named Entity Recognition"
    assert rows["task57"]["config"] == "qa"
    assert rows["task57"]["benchmark"] == "mcqa"
    assert all(rows[t]["in_meds_ins"] for t in ALL_TASKS)
    assert not any(rows[t]["in_meds_ins"] for t in BENCH_ONLY)
    assert len({row["category"] for row in rows.values()}) == 19


def test_sources_json_is_pure_json_with_license_and_access():
    result = cli("sources", "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    pubmedqa = next(r for r in rows if r["id"] == "pubmedqa")
    assert pubmedqa["license"] == "MIT"
    assert pubmedqa["access"] == "open"
    assert "task123" in pubmedqa["tasks"]


def test_convert_writes_parquet_and_jsonl(tmp_path):
    out = tmp_path / "pubmedqa.parquet"
    assert main(["convert", "pubmedqa", "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 27
    assert set(table.column("task_id").to_pylist()) == {
        "task11", "task12", "task13", "task14", "task15", "task123", "task124"
    }
    jsonl = tmp_path / "pubmedqa.jsonl"
    assert main(["convert", "pubmedqa", "--out", str(jsonl)]) == 0
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 27
    assert json.loads(lines[0])["source"] == "pubmedqa"
    assert not (tmp_path / "pubmedqa.rejected.jsonl").exists()


def test_convert_reports_rejections_beside_the_output(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    sample = Path(__file__).resolve().parents[1] / "sources" / "pubmedqa" / "sample" / "ori_pqal.json"
    data = json.loads(sample.read_text(encoding="utf-8"))
    del data["90000002"]["LONG_ANSWER"]
    data["90000003"]["final_decision"] = "perhaps"
    (raw / "ori_pqal.json").write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = cli("convert", "pubmedqa", "--raw", str(raw), "--out", str(out))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "2 rejected" in result.stderr
    assert "ori_pqal.json, record 2 (PMID 90000002)" in result.stderr
    rejected = [json.loads(line) for line in (tmp_path / "out.rejected.jsonl").read_text().splitlines()]
    assert [r["origin"] for r in rejected] == [
        "ori_pqal.json, record 2 (PMID 90000002)", "ori_pqal.json, record 3 (PMID 90000003)"
    ]
    assert "final_decision 'perhaps'" in rejected[1]["reason"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["convert", "nosuchsource"], "unknown source 'nosuchsource'"),
        (["convert", "pubmedqa", "--raw", "/nonexistent/dir"], "not a folder"),
        (["convert", "pubmedqa", "--out", "x.csv"], "use a .jsonl or .parquet"),
        (["check-source", "pubmeqda"], "did you mean: pubmedqa"),
        (["build", "--raw-root", "/nonexistent/dir"], "not a folder"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line_and_nonzero_exit(args, expected):
    result = cli(*args)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_truncated_raw_file_is_one_clear_error(tmp_path):
    (tmp_path / "ori_pqal.json").write_text('{"1": {"QUESTION": "x", ', encoding="utf-8")
    result = cli("convert", "pubmedqa", "--raw", str(tmp_path), "--out", str(tmp_path / "o.jsonl"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "ori_pqal.json, line 1, column" in result.stderr
    assert "truncated JSON" in result.stderr


def test_check_source_pass_and_json():
    result = cli("check-source", "pubmedqa", "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["counts"]["task12"] == 10


def test_new_source_scaffold_is_a_working_template(tmp_path, monkeypatch):
    folder = tmp_path / "sources"
    tests = tmp_path / "tests"
    tests.mkdir()
    result = cli("new-source", "clinic_notes_demo", "--dir", str(folder), "--tests", str(tests))
    assert result.returncode == 0, result.stderr
    assert (folder / "clinic_notes_demo" / "sample" / "clinic_notes_demo.jsonl").exists()
    assert (tests / "test_source_clinic_notes_demo.py").exists()
    env_cli = subprocess.run(
        [sys.executable, "-m", "medsins.cli", "check-source", "clinic_notes_demo", "--json"],
        capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "MEDSINS_SOURCE_PATH": str(folder)},
    )
    report = json.loads(env_cli.stdout)
    assert report["ok"] is True, report
    # A new task card: the first free id from task2001 on, whatever sources were added since.
    assert report["counts"] == {next_free_task_id(): 2}
    # The license is still NOASSERTION and the placeholders are there: warnings, not errors.
    assert [f["check"] for f in report["findings"]] == ["license-known", "manifest-filled"]


def next_free_task_id() -> str:
    """Computed from the registry here, so adding a source with a new task never breaks this test."""
    from itertools import count

    from medsins.plugins import catalog

    registry = catalog().registry
    return next(f"task{n}" for n in count(2001) if f"task{n}" not in registry)


def test_python_dash_m_medsins_is_the_command_line():
    result = subprocess.run([sys.executable, "-m", "medsins", "--version"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"medsins {__import__('medsins').__version__}"
    failed = subprocess.run([sys.executable, "-m", "medsins", "check-source", "pubmedq"], capture_output=True,
                            text=True, timeout=120)
    assert failed.returncode == 1
    assert failed.stderr.startswith("medsins: error: unknown source 'pubmedq'; did you mean: pubmedqa")
    assert len(failed.stderr.splitlines()) == 1


#: Distribution names whose import name differs.
IMPORT_NAMES = {"pyyaml": "yaml", "lingua-language-detector": "lingua", "rouge-score": "rouge_score",
                "huggingface-hub": "huggingface_hub"}


def test_every_runtime_dependency_is_imported_by_the_library_and_documented():
    import re
    import tomllib

    root = Path(__file__).resolve().parent.parent
    declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = [re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower() for spec in declared]
    code = "\n".join(path.read_text(encoding="utf-8") for path in (root / "medsins").rglob("*.py"))
    architecture = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    docs = architecture.split("## Dependencies beyond the core set")[1]
    for name in names:
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {module}\b", code, re.MULTILINE), f"{name} is never imported"
        assert f"`{name}`" in docs, f"{name} has no reason in docs/architecture.md"
    assert "datasketch" not in names  # the tests' oracle only: the test extra
