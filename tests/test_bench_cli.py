"""``medsins bench score`` on predictions for a release of the bundled samples' ``bench`` config."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest

from medsins import __version__
from medsins.cli import main
from medsins.commands import bench
from medsins.convert import convert_source
from medsins.load import load
from medsins.plugins import catalog
from medsins.records import Record
from medsins.release.manifest import FateCounts, ReleaseManifest, SourceProvenance
from medsins.release.schema import records_to_table
from medsins.release.writer import write_release


@pytest.fixture(scope="module")
def hf_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep ``datasets``' Arrow copies out of the user's cache."""
    cache = tmp_path_factory.mktemp("hf-datasets")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
        yield cache


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory, hf_cache: Path) -> Path:
    """A release folder holding the bundled samples of every source with a benchmark task."""
    found = catalog()
    registry = found.registry
    bench_ids = {t.id for t in registry.select("bench")}
    sources = [s for s in found if set(s.manifest.tasks) & bench_ids]
    records = [r for s in sources for r in convert_source(s, None, registry) if isinstance(r, Record)]
    records.sort(key=lambda r: (int(r.task_id[4:]), r.split.value != "train", r.id))
    tmp = tmp_path_factory.mktemp("bench-release")
    kept = tmp / "kept.parquet"
    pq.write_table(records_to_table(records), kept)
    per_source = {s.id: sum(r.source == s.id for r in records) for s in sources}
    manifest = ReleaseManifest(
        medsins_version=__version__,
        profile="local",
        publishable=False,
        sources={s.id: SourceProvenance(license=s.manifest.license, access=s.manifest.access.value,
                                        version=s.manifest.version) for s in sources},
        counts={**{k: FateCounts(entered=n, kept=n) for k, n in per_source.items()},
                "total": FateCounts(entered=len(records), kept=len(records))},
    )
    out = tmp / "release"
    write_release(kept, out, registry=registry, sources={s.id: s.manifest for s in sources}, manifest=manifest)
    return out


@pytest.fixture(scope="module")
def test_split(release: Path) -> list[dict]:
    return load("bench", split="test", path=release).to_list()


@pytest.fixture(scope="module")
def prediction_files(tmp_path_factory: pytest.TempPathFactory, test_split: list[dict]) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("predictions")
    oracle = folder / "oracle.jsonl"
    oracle.write_text("".join(json.dumps({"id": r["id"], "prediction": r["output"]}) + "\n" for r in test_split),
                      encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["task_id", "input", "GT", "output"])
    for index, r in enumerate(test_split):
        # every other answer right; MCQA answered by letter only; a blank and an unknown task as bad rows
        answer = r["output"] if index % 2 == 0 else "I do not know"
        if r["options"] and index % 2 == 0:
            answer = f"The answer is {r['output'][0]}."
        writer.writerow([r["task_id"], r["input"], r["output"], answer])
    writer.writerow(["task57", test_split[0]["input"] + " (changed)", "A", ""])
    writer.writerow(["task4242", "x", "y", "z"])
    upstream = folder / "upstream.csv"
    upstream.write_text(buffer.getvalue(), encoding="utf-8")
    return oracle, upstream


def test_the_sample_release_has_benchmark_items_of_several_categories(test_split: list[dict]) -> None:
    tasks = {r["task_id"] for r in test_split}
    assert {"task57", "task58", "task59", "task60", "task123", "task126", "task127", "task114"} <= tasks
    assert all(r["split"] == "test" for r in test_split)


def test_bench_score_prints_the_leaderboard(
    release: Path, prediction_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    oracle, upstream = prediction_files
    code = main(["bench", "score", str(oracle), str(upstream), "--references", str(release), "--bootstrap", "200"])
    out = capsys.readouterr().out
    assert code == 1  # the upstream file has bad rows (reported below); every good row is scored
    lines = out.splitlines()
    assert lines[0] == "## MedS-Bench scores"
    header = next(line for line in lines if line.startswith("| model | mcqa acc |"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert {"summarization BLEU", "summarization ROUGE-L", "ner F1", "rationale BLEU"} <= set(columns)
    oracle_row = next(line for line in lines if line.startswith("| oracle |"))
    cells = [c.strip() for c in oracle_row.strip("|").split("|")][1:]
    assert cells and all(c.startswith("100.0 [100.0, 100.0]") for c in cells)
    upstream_row = next(line for line in lines if line.startswith("| upstream |"))
    assert "100.0 [100.0, 100.0]" not in upstream_row.split("|")[2]  # mcqa: half the answers are wrong
    assert "unknown task 'task4242'" in out
    assert "empty prediction (scored as wrong)" in out
    assert "- BLEU: corpus-level BLEU-4" in out


def test_bench_score_through_register_and_run(
    release: Path, prediction_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="medsins")
    bench.register(parser.add_subparsers(dest="command"))
    oracle, upstream = prediction_files
    args = parser.parse_args(["bench", "score", f"gold={oracle}", str(upstream), "--references", str(release),
                              "--format", "json", "--bootstrap", "50", "--seed", "3", "--out", str(tmp_path / "o")])
    assert bench.run(args) == 1  # upstream.csv's bad rows; the report and its files are still written
    captured = capsys.readouterr()
    data = json.loads(captured.out)  # JSON and nothing else on stdout
    assert [row["model"] for row in data["leaderboard"]] == ["gold", "upstream"]
    assert data["bootstrap"]["seed"] == 3
    counts = {c["model"]: c for c in data["counts"]}
    assert counts["gold"]["missing"] == 0 and counts["gold"]["extra"] == 0
    assert counts["upstream"]["extra"] == 2 and counts["upstream"]["empty"] == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "counts.csv", "leaderboard.csv", "problems.csv", "report.json", "report.md", "tasks.csv"]
    assert "wrote " in captured.err


def test_bench_score_csv_format(
    release: Path, prediction_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    oracle, _ = prediction_files
    assert main(["bench", "score", str(oracle), "--references", str(release), "--format", "csv",
                 "--bootstrap", "0"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["model"] == "oracle" and rows[0]["mcqa acc"] == "100.0"


def test_bench_score_errors_are_one_line(
    release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "absent.csv"
    assert main(["bench", "score", str(missing), "--references", str(release)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"medsins: error: nothing to score: {missing}: cannot read")
    assert len(err.strip().splitlines()) == 1
    assert main(["bench", "score", str(missing), "--bootstrap", "-1"]) == 1
    assert "--bootstrap must be 0" in capsys.readouterr().err


def test_an_upstream_csv_with_gt_is_scored_offline_without_references(
    release: Path, prediction_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_hub(*args: object, **kwargs: object) -> None:
        raise AssertionError("the Hub must not be tried when every row carries its GT")

    _, upstream = prediction_files
    monkeypatch.delenv("MEDSINS_RELEASE", raising=False)
    # exit 1: the file's bad rows (an unknown task, an unmatched input) were skipped; the rest is scored
    assert main(["bench", "score", str(upstream), "--references", "gt", "--format", "json", "--bootstrap", "0"]) == 1
    asked = json.loads(capsys.readouterr().out)
    monkeypatch.setattr(sys.modules["medsins.load"], "load", no_hub)
    assert main(["bench", "score", str(upstream), "--format", "json", "--bootstrap", "0"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["leaderboard"] == asked["leaderboard"]
    assert captured.err.splitlines()[0] == (
        "medsins: no references given and every row carries a GT column: scoring offline against it "
        "(give references, e.g. --references RELEASE_DIR, to score against a release)")
    # and the rows' problems, in the report and on stderr
    problems = [f"medsins: warning: {p['source']}, {p['where']}: {p['problem']}"
                for p in json.loads(captured.out)["problems"]]
    assert captured.err.splitlines()[1:] == problems and problems
    assert any(p["rejected"] for p in json.loads(captured.out)["problems"])


def test_predictions_without_gt_still_need_references(
    prediction_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("offline")

    oracle, upstream = prediction_files
    monkeypatch.delenv("MEDSINS_RELEASE", raising=False)
    monkeypatch.setattr(sys.modules["medsins.load"], "load", offline)
    # the JSONL has ids and no GT: only a release can score it, so the Hub is tried (and fails here)
    assert main(["bench", "score", str(oracle), str(upstream), "--bootstrap", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("medsins: error: cannot load the references ('bench' from $MEDSINS_RELEASE or the Hub)")
    assert len(err.splitlines()) == 1
