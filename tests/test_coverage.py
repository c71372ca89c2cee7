"""Coverage: every task buildable, docs/coverage.md in sync."""

from __future__ import annotations

import json
import subprocess
import sys

from medsins.coverage import DOC, coverage_markdown, task_coverage


def test_docs_coverage_table_is_current():
    # Adding or changing a source changes the table: the message says how to regenerate it.
    assert DOC.read_text(encoding="utf-8") == coverage_markdown(), (
        f"{DOC} is out of date with the sources; regenerate it from the checkout root with: python -m medsins.coverage"
    )


def test_every_meds_ins_and_bench_task_is_buildable():
    rows = task_coverage()
    upstream_tasks = [r for r in rows if not r.addition]
    assert len(upstream_tasks) == 125
    assert all("upstream" in r.task_files for r in upstream_tasks)
    # Every task with a known corpus that has a converter is fed natively.
    unknown = {40, 63, 64, 67, 68, 69, 70, 71, 97, 98, 132, 133, 134, 135, 136}
    missing = [r.task_id for r in upstream_tasks if not r.native and int(r.task_id[4:]) not in unknown]
    assert missing == []
    assert all(r.native for r in rows if r.addition)


def test_tasks_coverage_cli():
    result = subprocess.run([sys.executable, "-m", "medsins.cli", "tasks", "--coverage", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["task125"]["native_sources"] == ["bc4chemd"]
    assert rows["task40"]["native_sources"] == []
    assert "upstream" in rows["task40"]["task_file_sources"]
