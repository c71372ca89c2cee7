"""End-to-end builds: ledger, filters, dedup, determinism, resume, readers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import datasets
import polars as pl
import pyarrow.parquet as pq
import pytest

import medsins
from medsins.build import BuildOptions, build
from medsins.errors import MedsinsError
from medsins.plugins import catalog
from medsins.release.manifest import verify_release
from medsins.stages.license import Profile

MANIFEST = """
id = "{id}"
name = "Hand-made corpus {id}"
homepage = "https://example.org/{id}"
citation = "Nobody (2026). A corpus for build tests."
license = "{license}"
{license_url}
access = "{access}"
languages = ["en"]
text_source = "exam"
tasks = {tasks}
synthetic_sample = {synthetic}

[[raw_files]]
pattern = "items.jsonl"
"""

CONVERTER = """
import os
import time

from medsins.formats import read_jsonl
from medsins.plugins import Source
from medsins.records import Example


class Converter(Source):
    def convert(self, raw_dir, report):
        for path in self.files(raw_dir, "items.jsonl"):
            for n, (where, row) in enumerate(read_jsonl(path, on_error=report)):
                if n == 1 and os.environ.get("MEDSINS_TEST_STALL") == self.id:
                    time.sleep(600)  # the test kills the build here
                yield Example(origin=self.origin(path, where), **row)
"""

LONG_QUESTION = (
    "A 45-year-old man presents with crushing substernal chest pain radiating to the left arm for two hours, "
    "with diaphoresis and nausea. His ECG shows ST elevation in leads II, III and aVF. Which coronary artery "
    "is most likely occluded?"
)
OPTIONS = [
    "A. Left anterior descending artery",
    "B. Right coronary artery",
    "C. Left circumflex artery",
    "D. Left main coronary artery",
]


def mcqa_row(raw_id: str, split: str, question: str, answer: str = "B. Right coronary artery") -> dict:
    return {
        "task_id": "task57",
        "split": split,
        "input": question + "\n" + "\n".join(OPTIONS),
        "output": answer,
        "options": OPTIONS,
        "raw_id": raw_id,
    }


def write_source(
    root: Path,
    source_id: str,
    rows: list[dict],
    *,
    tasks: list[str],
    access: str = "open",
    license_id: str = "CC-BY-4.0",
) -> None:
    folder = root / source_id
    (folder / "sample").mkdir(parents=True)
    url = 'license_url = "https://creativecommons.org/licenses/by/4.0/legalcode"' if license_id != "NOASSERTION" else ""
    (folder / "manifest.toml").write_text(
        MANIFEST.format(
            id=source_id,
            license=license_id,
            license_url=url,
            access=access,
            tasks=json.dumps(tasks),
            synthetic="true" if access != "open" else "false",
        ),
        encoding="utf-8",
    )
    (folder / "converter.py").write_text(textwrap.dedent(CONVERTER), encoding="utf-8")
    (folder / "sample" / "items.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )


@pytest.fixture
def extra_sources(tmp_path, monkeypatch):
    """Hand-made sources made discoverable through MEDSINS_SOURCE_PATH."""
    root = tmp_path / "extra_sources"
    root.mkdir()
    monkeypatch.setenv("MEDSINS_SOURCE_PATH", str(root))
    catalog.cache_clear()
    yield root
    catalog.cache_clear()


def activate(root: Path) -> None:
    catalog.cache_clear()
    assert not catalog().problems, catalog().problems


def run_build(tmp_path: Path, name: str = "release", **kwargs) -> tuple[Path, object]:
    out = tmp_path / name
    options = BuildOptions(out=out, quiet=True, **kwargs)
    return out, build(options)


def ledger(result, *, dropped: bool = True) -> list[dict]:
    """The ledger's rows (by default only those of dropped records)."""
    rows = pl.read_parquet(result.ledger).to_dicts()
    return [r for r in rows if r["fate"] != "kept"] if dropped else rows


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_bundled_samples_build_and_every_reader_agrees_with_the_ledger(tmp_path):
    out, _ = run_build(tmp_path)
    manifest = verify_release(out)
    total = manifest.counts["total"]
    assert total.balanced()
    assert total.kept > 0
    assert all(counts.balanced() for counts in manifest.counts.values())
    rows = pl.read_parquet(str(out / "data" / "**" / "*.parquet"))
    assert rows.height == total.kept
    # Credentialed / registered / unknown-license sources never reach a public release.
    restricted = {s.id for s in catalog() if s.manifest.access.value != "open"}
    assert restricted  # the bundled samples include credentialed and registered sources
    assert not (set(rows["source"].unique().to_list()) & restricted)
    assert "NOASSERTION" not in rows["license"].unique().to_list()
    ner = datasets.load_dataset(str(out), "ner")
    ner_kept = rows.filter(pl.col("config") == "ner")
    assert sum(len(split) for split in ner.values()) == ner_kept.height
    loaded = medsins.load("named_entity_recognition", path=out)
    assert {k: len(v) for k, v in loaded.items()} == {k: len(v) for k, v in ner.items()}
    task = rows["task_id"][0]
    by_task = datasets.load_dataset(str(out), task)
    assert sum(len(s) for s in by_task.values()) == rows.filter(pl.col("task_id") == task).height


def test_realdata_build_reads_back_with_counts_equal_to_kept(realdata, tmp_path):
    out, result = run_build(tmp_path, raw_root=realdata, workers=2)
    manifest = verify_release(out)
    assert set(manifest.sources) == {p.name for p in realdata.iterdir() if p.is_dir()} & set(catalog().sources)
    for source_id, counts in manifest.counts.items():
        assert counts.balanced(), source_id
        if source_id != "total":
            assert counts.invalid == 0, f"{source_id}: {counts}"
    rows = pl.read_parquet(str(out / "data" / "**" / "*.parquet"))
    assert rows.height == manifest.counts["total"].kept
    ner = medsins.load("ner", path=out)
    assert sum(len(v) for v in ner.values()) == rows.filter(pl.col("config") == "ner").height
    assert (
        len(medsins.load("task128", split="train", path=out))
        == rows.filter((pl.col("task_id") == "task128") & (pl.col("split") == "train")).height
    )
    entries = ledger(result, dropped=False)
    assert len(entries) == manifest.counts["total"].entered == len({e["id"] for e in entries})
    assert sum(e["fate"] == "kept" for e in entries) == rows.height
    assert {e["id"] for e in entries if e["fate"] == "kept"} == set(rows["id"].to_list())
    for entry in entries:
        assert entry["fate"] in {"kept", "license", "language", "duplicate", "contaminates"}
        assert entry["origin"]


def test_near_duplicate_across_tasks_and_test_contamination(tmp_path, extra_sources):
    near = LONG_QUESTION.replace("two hours", "2 hours")
    write_source(
        extra_sources,
        "handmade_a",
        [
            mcqa_row("t1", "test", LONG_QUESTION),
            mcqa_row("t2", "test", "Which drug reverses heparin? " + "x" * 0, "A. Left anterior descending artery"),
            mcqa_row("r1", "train", near),  # a training copy of a test item: contamination
        ],
        tasks=["task57"],
    )
    write_source(
        extra_sources,
        "handmade_b",
        [
            {
                "task_id": "task124",
                "split": "train",
                "raw_id": "p1",
                "output": "yes",
                "input": "Question: Does regular aerobic exercise lower resting blood pressure in adults aged over "
                "sixty-five with stage one hypertension? Context: a randomised trial of 212 adults found "
                "lower systolic pressure after 24 weeks of daily brisk walking.",
            },
            {
                "task_id": "task124",
                "split": "train",
                "raw_id": "p2",
                "output": "yes",
                "input": "Question: Does regular aerobic exercise lower resting blood pressure in adults aged over "
                "sixty-five with stage one hypertension? Context: a randomised trial of 212 adults found "
                "lower systolic pressure after 24 weeks of daily brisk walking!",
            },
            {
                "task_id": "task124",
                "split": "train",
                "raw_id": "p3",
                "output": "no",
                "input": "Question: Is serum ferritin reliable in kidney disease? Context: it was not.",
            },
        ],
        tasks=["task124"],
    )
    activate(extra_sources)
    out, result = run_build(tmp_path, sources=("handmade_a", "handmade_b"), language_filter=False)
    fates = {e["id"]: e for e in ledger(result)}
    from medsins.records import record_id

    test_id = record_id("task57", "handmade_a", "test", "t1")
    train_copy = record_id("task57", "handmade_a", "train", "r1")
    assert fates[train_copy]["fate"] == "contaminates"
    assert fates[train_copy]["kept_id"] == test_id
    assert fates[train_copy]["reason"] == f"its input occurs in test record {test_id}"
    dup_ids = {record_id("task124", "handmade_b", "train", p) for p in ("p1", "p2")}
    dropped = [i for i in dup_ids if i in fates]
    assert len(dropped) == 1
    kept_twin = (dup_ids - set(dropped)).pop()
    assert fates[dropped[0]]["fate"] == "duplicate"
    assert fates[dropped[0]]["kept_id"] == kept_twin
    assert fates[dropped[0]]["reason"] == f"near-duplicate of {kept_twin}"
    rows = pl.read_parquet(str(out / "data" / "**" / "*.parquet"))
    assert test_id in rows["id"].to_list()
    assert train_copy not in rows["id"].to_list()


def test_language_filter_drops_spanish_keeps_drug_names(tmp_path, extra_sources):
    spanish = (
        "Un paciente de sesenta años acude a urgencias con dolor torácico opresivo de dos horas de "
        "evolución, sudoración y náuseas. ¿Cuál es la arteria coronaria más probablemente ocluida?"
    )
    drug = "Which of the following is the antidote for paracetamol (acetaminophen) overdose in adults?"
    write_source(
        extra_sources,
        "handmade_lang",
        [
            mcqa_row("es", "test", spanish),
            mcqa_row("drug", "test", drug, "A. Left anterior descending artery"),
        ],
        tasks=["task57"],
    )
    write_source(
        extra_sources,
        "handmade_drugs",
        [
            {
                "task_id": "task126",
                "split": "train",
                "raw_id": "d1",
                "input": "Acetylsalicylic acid 81 mg.",
                "output": "Acetylsalicylic acid",
            },
        ],
        tasks=["task126"],
    )
    activate(extra_sources)
    out, result = run_build(tmp_path, sources=("handmade_lang", "handmade_drugs"))
    from medsins.records import record_id

    fates = {e["id"]: e for e in ledger(result)}
    spanish_id = record_id("task57", "handmade_lang", "test", "es")
    assert fates[spanish_id]["fate"] == "language"
    assert "es" in fates[spanish_id]["reason"]
    kept = set(pl.read_parquet(str(out / "data" / "**" / "*.parquet"))["id"].to_list())
    assert record_id("task57", "handmade_lang", "test", "drug") in kept
    assert record_id("task126", "handmade_drugs", "train", "d1") in kept


def test_profiles_gate_restricted_sources(tmp_path, extra_sources):
    rows = [mcqa_row("c1", "test", LONG_QUESTION)]
    write_source(extra_sources, "handmade_cred", rows, tasks=["task57"], access="credentialed")
    write_source(
        extra_sources,
        "handmade_reg",
        [mcqa_row("g1", "test", "Which vessel supplies the SA node?")],
        tasks=["task57"],
        access="registered",
    )
    write_source(
        extra_sources,
        "handmade_unknown",
        [mcqa_row("u1", "test", "Which nerve is at risk in a mid-shaft humerus fracture?")],
        tasks=["task57"],
        license_id="NOASSERTION",
    )
    activate(extra_sources)
    names = ("handmade_cred", "handmade_reg", "handmade_unknown")
    kept = {}
    with pytest.raises(MedsinsError, match=r"nothing to release: all 3 records were dropped \(license 3\)"):
        run_build(tmp_path, "rel-public", sources=names, profile=Profile.PUBLIC, language_filter=False)
    assert not (tmp_path / "rel-public").exists()
    for profile in (Profile.RESEARCH, Profile.LOCAL):
        out, _ = run_build(tmp_path, f"rel-{profile.value}", sources=names, profile=profile,
                                language_filter=False)
        manifest = verify_release(out)
        assert manifest.profile == profile.value
        assert manifest.publishable is False
        kept[profile] = {s for s, c in manifest.counts.items() if s != "total" and c.kept}
    assert kept[Profile.LOCAL] == set(names)


def test_two_builds_are_byte_identical_whatever_the_workers(tmp_path):
    out1, _ = run_build(tmp_path, "one", workers=1)
    out2, _ = run_build(tmp_path, "two", workers=2)
    assert tree_bytes(out1) == tree_bytes(out2)


def test_killed_build_resumes_to_the_same_bytes(tmp_path, extra_sources):
    write_source(
        extra_sources,
        "zz_slow_handmade",
        [
            mcqa_row("s1", "test", LONG_QUESTION),
            mcqa_row(
                "s2",
                "test",
                "Which electrolyte disturbance causes peaked T waves?",
                "A. Left anterior descending artery",
            ),
        ],
        tasks=["task57"],
    )
    activate(extra_sources)
    sources = "pubmedqa,zz_slow_handmade"
    clean = tmp_path / "clean"
    assert (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "medsins.cli",
                "build",
                "--sources",
                sources,
                "--out",
                str(clean),
                "--quiet",
                "--workers",
                "1",
            ],
            capture_output=True,
            timeout=600,
        ).returncode
        == 0
    )
    out = tmp_path / "resumed"
    env = {**os.environ, "MEDSINS_TEST_STALL": "zz_slow_handmade"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medsins.cli",
            "build",
            "--sources",
            sources,
            "--out",
            str(out),
            "--quiet",
            "--workers",
            "1",
        ],
        env=env,
    )
    marker = tmp_path / "resumed.work" / "convert" / "pubmedqa" / "done.json"
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)  # let it reach the stalled converter
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert marker.exists()
    assert not out.exists()  # no release folder that looks complete
    first_convert = marker.stat().st_mtime_ns
    rerun = subprocess.run(
        [
            sys.executable,
            "-m",
            "medsins.cli",
            "build",
            "--sources",
            sources,
            "--out",
            str(out),
            "--quiet",
            "--workers",
            "1",
        ],
        capture_output=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert marker.stat().st_mtime_ns == first_convert  # finished stages were not redone
    assert tree_bytes(out) == tree_bytes(clean)


def test_unknown_task_record_is_rejected_invalid(tmp_path, extra_sources):
    write_source(
        extra_sources,
        "handmade_bad",
        [
            mcqa_row("ok", "test", LONG_QUESTION),
            {**mcqa_row("bad", "test", "Other question?"), "task_id": "task9999"},
        ],
        tasks=["task57"],
    )
    activate(extra_sources)
    out, result = run_build(tmp_path, sources=("handmade_bad",), language_filter=False)
    entries = ledger(result)
    assert [e["fate"] for e in entries] == ["invalid"]
    assert "unknown task task9999" in entries[0]["reason"]
    manifest = verify_release(out)
    assert manifest.counts["handmade_bad"].invalid == 1
    assert manifest.counts["handmade_bad"].kept == 1
    assert pq.read_metadata(next(out.glob("data/*/task57/test-*.parquet"))).num_rows == 1


def test_equal_closed_set_answers_across_tasks_are_not_duplicates(tmp_path, extra_sources):
    sentence = "The patient recovered fully after two weeks of rest and physiotherapy at home."
    write_source(extra_sources, "handmade_ner", [
        {"task_id": "task126", "split": "train", "raw_id": "s1", "input": sentence, "output": "None"},
        {"task_id": "task28", "split": "train", "raw_id": "s1", "input": sentence, "output": "None"},
        {"task_id": "task28", "split": "train", "raw_id": "s2", "input": sentence + " ", "output": "None"},
    ], tasks=["task126", "task28"])
    activate(extra_sources)
    _, result = run_build(tmp_path, sources=("handmade_ner",), language_filter=False)
    from medsins.records import record_id

    fates = {e["id"]: e for e in ledger(result)}
    # Same sentence, same "None", different tasks (chemical vs disease NER): both kept.
    assert record_id("task126", "handmade_ner", "train", "s1") not in fates
    # Within one task the repeated sentence is a duplicate: of the two, the smaller id is kept
    # (whichever raw id it hashes from) and the other points to it.
    twins = {record_id("task28", "handmade_ner", "train", raw) for raw in ("s1", "s2")}
    kept_twin, dropped_twin = sorted(twins)
    assert kept_twin not in fates
    assert fates[dropped_twin]["fate"] == "duplicate"
    assert fates[dropped_twin]["kept_id"] == kept_twin
