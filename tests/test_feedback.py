"""Feedback where a user needs it: progress off a terminal, --json summaries, --raw-root typos.

Every command here runs with stderr captured, i.e. off a terminal, as under CI,
``nohup`` or a scheduler.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from pathlib import Path

import pytest

from medsins import build as build_module
from medsins import progress
from medsins.cli import main
from medsins.plugins import catalog

LINE = re.compile(r"^\d\d:\d\d:\d\d medsins: (.*)$")


def progress_lines(err: str) -> list[str]:
    """The progress lines of stderr, without their time of day."""
    return [m.group(1) for line in err.splitlines() if (m := LINE.match(line))]


# -- the lines themselves --------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_stage_lines_give_counts_rate_and_eta_when_the_total_is_known():
    clock = FakeClock()
    stage = progress.Stage("build filter", 17, records_total=40_000, log=False, clock=clock)
    assert stage.started_line() == "build filter: started (17 sources, 40,000 records)"
    clock.now += 20
    stage.advance(5)
    stage.add_records(10_000)
    assert stage.progress_line() == ("build filter: 5/17 sources, 10,000/40,000 records (25%), 500 records/s, "
                                     "20 s elapsed, ETA 1 min 0 s")
    clock.now += 60
    stage.advance(12)
    stage.add_records(30_000)
    assert stage.finished_line() == "build filter: done in 1 min 20 s (17 sources, 40,000 records, 500 records/s)"


def test_no_eta_is_made_up_when_the_total_is_unknown():
    clock = FakeClock()
    convert = progress.Stage("build convert", 1, log=False, clock=clock)
    clock.now += 12
    convert.add_records(1_200)
    assert convert.progress_line() == "build convert: 0/1 sources, 1,200 records, 100 records/s, 12 s elapsed"
    assert convert.started_line() == "build convert: started (1 source)"
    check = progress.Stage("check-source all", 40, eta_from_units=True, log=False, clock=clock)
    clock.now += 30
    check.advance(10)
    assert check.progress_line() == "check-source all: 10/40 sources, 30 s elapsed, ETA 1 min 30 s"


def test_a_stage_logs_while_it_runs_even_when_nothing_advances(caplog):
    """One big source may take minutes: the stage still says it is alive, every interval."""
    with caplog.at_level(logging.INFO, logger="medsins.progress"), \
            progress.feedback("build", interval=0.02) as feedback, feedback.stage("convert", 1) as stage:
        deadline = time.monotonic() + 5
        while sum("0/1 sources" in r.getMessage() for r in caplog.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        stage.advance()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "build convert: started (1 source)"
    assert sum(m.startswith("build convert: 0/1 sources, ") for m in messages) >= 2
    assert messages[-1].startswith("build convert: done in ")


def test_a_stage_that_fails_does_not_say_done(caplog):
    with caplog.at_level(logging.INFO, logger="medsins.progress"), pytest.raises(RuntimeError), \
            progress.feedback("build") as feedback, feedback.stage("convert", 1):
        raise RuntimeError("boom")
    assert [r.getMessage() for r in caplog.records] == ["build convert: started (1 source)"]


# -- build, convert, check-source off a terminal -------------------------------------------------------


def slow(func, seconds: float):
    def wrapped(*args, **kwargs):
        time.sleep(seconds)
        return func(*args, **kwargs)
    return wrapped


def test_build_off_a_terminal_logs_each_stage_and_periodic_progress(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(progress, "INTERVAL", 0.05)
    monkeypatch.setattr(build_module, "convert_stage", slow(build_module.convert_stage, 0.3))
    out = tmp_path / "release"
    assert main(["build", "--sources", "medqa,pubmedqa", "--workers", "1", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)  # stdout: the JSON summary only
    lines = progress_lines(captured.err)
    starts = [line for line in lines if line.endswith(": started") or ": started (" in line]
    assert starts == ["build convert: started (2 sources)",
                      f"build filter: started (2 sources, {converted(summary)} records)",
                      "build dedup: started", "build assemble: started", "build release: started"]
    assert any(re.fullmatch(r"build convert: [012]/2 sources, .*elapsed", line) for line in lines), lines
    done = [line for line in lines if ": done in " in line]
    assert [line.split(":")[0] for line in done] == [f"build {s}" for s in
                                                       ("convert", "filter", "dedup", "assemble", "release")]
    assert f"(2 sources, {converted(summary)} records" in done[0]
    total = summary["counts"]["total"]
    assert f"build: {total['kept']:,} of {total['entered']:,} records kept; writing the release" in lines
    assert summary["release"] == str(out) and summary["sources"] == ["medqa", "pubmedqa"]
    assert summary["records"] == total["kept"] > 0 and set(summary["seconds"]) >= {"convert", "release", "total"}


def converted(summary: dict) -> int:
    """Records the convert stage wrote: what entered, less the raw items it rejected."""
    return sum(c["entered"] - c["invalid"] for name, c in summary["counts"].items() if name != "total")


def test_build_with_workers_counts_the_records_converted_in_worker_processes(tmp_path, capsys):
    out = tmp_path / "release"
    assert main(["build", "--sources", "medqa,pubmedqa", "--workers", "2", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    done = next(line for line in progress_lines(captured.err) if line.startswith("build convert: done in "))
    assert f"(2 sources, {converted(summary)} records" in done


def test_quiet_build_says_nothing_and_a_terminal_gets_bars_not_lines(tmp_path, monkeypatch, capsys):
    assert main(["build", "--sources", "pubmedqa", "--workers", "1", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(progress, "_is_terminal", lambda stream: True)
    assert main(["build", "--sources", "pubmedqa", "--workers", "1", "--out", str(tmp_path / "b")]) == 0
    assert progress_lines(capsys.readouterr().err) == []


def test_convert_json_and_progress(tmp_path, capsys):
    out = tmp_path / "pubmedqa.parquet"
    assert main(["convert", "pubmedqa", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["source"] == "pubmedqa" and summary["out"] == str(out)
    assert summary["records"] == 27 == sum(summary["tasks"].values()) and summary["tasks"]["task12"] == 10
    assert summary["rejected"] == 0 and summary["rejected_file"] is None
    lines = progress_lines(captured.err)
    assert lines[0] == "convert pubmedqa: started" and lines[-1].startswith("convert pubmedqa: done in ")
    assert "(27 records" in lines[-1]


def test_convert_json_needs_an_output_file(capsys):
    assert main(["convert", "pubmedqa", "--json"]) == 1
    assert capsys.readouterr().err == ("medsins: error: --json needs --out FILE: without it the records themselves "
                                       "go to stdout\n")


def test_check_source_all_off_a_terminal_says_how_far_it_got(capsys):
    assert main(["check-source", "all"]) == 0
    captured = capsys.readouterr()
    sources = len(catalog().sources)
    lines = progress_lines(captured.err)
    assert lines[0] == f"check-source all: started ({sources} sources)"
    assert re.fullmatch(rf"check-source all: done in .* \({sources} sources, [\d,]+ records.*\)", lines[-1])
    assert captured.out.splitlines()[-1].startswith(f"{sources}/{sources} sources pass")


# -- --raw-root folders that match no source -----------------------------------------------------------


def test_raw_root_folders_matching_no_source_are_warned_with_the_closest_names(tmp_path, caplog):
    root = tmp_path / "raw"
    sample = catalog().get("medqa").sample_dir
    shutil.copytree(sample, root / "medqa")
    for name in ("pubmed_qa", "PubMedQA", "bc5_cdr", "my_notes", ".cache"):
        (root / name).mkdir()
    with caplog.at_level(logging.WARNING, logger="medsins.build"):
        pairs = build_module.select_sources(build_module.BuildOptions(raw_root=root, out=tmp_path / "out"))
    assert pairs == [("medqa", root / "medqa")]
    assert [r.getMessage() for r in caplog.records] == [
        f"--raw-root {root}: folder PubMedQA/ matches no source, not built; did you mean pubmedqa?",
        f"--raw-root {root}: folder bc5_cdr/ matches no source, not built; did you mean bc5cdr?",
        f"--raw-root {root}: folder my_notes/ matches no source, not built",
        f"--raw-root {root}: folder pubmed_qa/ matches no source, not built; did you mean pubmedqa?",
    ]


def test_a_misspelt_raw_root_folder_is_a_warning_line_on_the_command_line(tmp_path, capsys):
    root = tmp_path / "raw"
    (root / "pubmed_qa").mkdir(parents=True)
    assert main(["build", "--raw-root", str(root), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"medsins: warning: --raw-root {root}: folder pubmed_qa/ matches no source, not built; did you mean pubmedqa?",
        f"medsins: error: --raw-root {root}: no folder named after a known source",
    ]


def test_the_progress_handler_is_removed_after_the_command(tmp_path):
    before = list(progress.LOGGER.handlers), progress.LOGGER.level, progress.LOGGER.propagate
    assert main(["convert", "pubmedqa", "--out", str(tmp_path / "o.jsonl")]) == 0
    assert (list(progress.LOGGER.handlers), progress.LOGGER.level, progress.LOGGER.propagate) == before


@pytest.fixture(autouse=True)
def _work_folders_beside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a stray default --out never lands in the checkout
