"""The release writer: Hub-style shards, the dataset card, the manifest, atomicity."""

from __future__ import annotations

import shutil
from pathlib import Path

import datasets
import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml

from medsins.errors import ReleaseError
from medsins.records import Record, SourceManifest, record_id
from medsins.registry import builtin_registry
from medsins.release import shard as shard_module
from medsins.release.card import features_yaml, hub_license, size_category
from medsins.release.manifest import (
    FateCounts,
    ReleaseManifest,
    SourceProvenance,
    read_manifest,
    verify_release,
)
from medsins.release.schema import RECORD_SCHEMA, records_to_table
from medsins.release.shard import ShardLimits, row_nbytes
from medsins.release.writer import write_release
from medsins.taxonomy import config_of

REGISTRY = builtin_registry()

#: Per-source license of the hand-made records (test data).
LICENSES = {
    "bc4chemd": "CC-BY-4.0",
    "bc5cdr": "LicenseRef-BioCreative-Terms",
    "cmeee": "LicenseRef-CBLUE-Terms",
    "medqa": "MIT",
    "mmedbench": "CC-BY-4.0",
    "pubmedqa": "MIT",
    "species800": "CC-BY-4.0",
}

#: (task, split) -> number of records in the small release.
LAYOUT = {
    ("task11", "train"): 2,
    ("task51", "test"): 2,
    ("task57", "train"): 2,
    ("task57", "test"): 3,
    ("task125", "train"): 3,
    ("task125", "test"): 2,
    ("task126", "train"): 2,
    ("task126", "test"): 1,
    ("task1004", "train"): 2,
}
TOTAL = sum(LAYOUT.values())


def make_record(task_id: str, split: str, raw_id: str, *, text: str | None = None) -> Record:
    """A valid record of ``task_id`` whose taxonomy comes from the task card."""
    task = REGISTRY.get(task_id)
    assert task.source is not None
    mcqa = task.answer_format.value == "mcqa"
    return Record(
        id=record_id(task_id, task.source, split, raw_id),
        task_id=task_id,
        source=task.source,
        category=task.category,
        config=config_of(task.category),
        split=split,
        instruction=task.definition,
        input=text if text is not None else f"{task.name} input {raw_id}",
        output="A. aspirin" if mcqa else f"{task.name} output {raw_id}",
        input_language=task.input_languages[0],
        output_language=task.output_languages[0],
        instruction_language=task.instruction_language,
        license=LICENSES[task.source],
        text_source=task.text_source,
        domains=list(task.domains),
        options=["A. aspirin", "B. heparin", "C. warfarin"] if mcqa else [],
        raw_id=raw_id,
        origin=f"{task.source}.txt, record {raw_id}",
    )


def sort_key(record: Record) -> tuple[int, int, str]:
    """The build's order: task number, train before test, id."""
    return int(record.task_id[4:]), 0 if record.split.value == "train" else 1, record.id


def small_records() -> list[Record]:
    records = [
        make_record(task, split, f"{split}-{i}") for (task, split), n in LAYOUT.items() for i in range(n)
    ]
    return sorted(records, key=sort_key)


def write_kept(records: list[Record], path: Path) -> Path:
    pq.write_table(records_to_table(sorted(records, key=sort_key)), path)
    return path


def source_manifest(source_id: str) -> SourceManifest:
    license_id = LICENSES[source_id]
    return SourceManifest.model_validate(
        {
            "id": source_id,
            "name": f"{source_id.upper()} corpus",
            "homepage": f"https://example.org/{source_id}",
            "citation": f"Authors of {source_id}. The {source_id} corpus. 2020.",
            "license": license_id,
            "license_url": f"https://example.org/{source_id}/license",
            "access": "open",
            "languages": ["zh"] if source_id in ("cmeee", "mmedbench") else ["en"],
            "text_source": "academic_paper",
            "tasks": [t.id for t in REGISTRY if t.source == source_id],
            "raw_files": [{"pattern": "*.txt"}],
        }
    )


def build_manifest(records: list[Record], *, dropped: int = 1, publishable: bool = True) -> ReleaseManifest:
    """The build's part of the manifest: provenance and balanced ledger counts."""
    counts: dict[str, FateCounts] = {}
    for source in sorted({r.source for r in records}):
        kept = sum(r.source == source for r in records)
        counts[source] = FateCounts(entered=kept + dropped, kept=kept, duplicate=dropped)
    counts["total"] = FateCounts(
        entered=sum(c.entered for c in counts.values()),
        kept=len(records),
        duplicate=dropped * len(counts),
    )
    return ReleaseManifest(
        medsins_version="0.1.0",
        profile="public" if publishable else "local",
        publishable=publishable,
        options={"dedup_threshold": 0.8, "language_filter": True, "profile": "public"},
        sources={
            s: SourceProvenance(license=LICENSES[s], access="open", version="1.0.0")
            for s in sorted({r.source for r in records})
        },
        counts=counts,
    )


def build_release(
    tmp: Path, records: list[Record] | None = None, *, name: str = "release", **kwargs: object
) -> tuple[Path, ReleaseManifest]:
    """Write ``records`` (default: the small layout) as a release under ``tmp``."""
    records = small_records() if records is None else records
    kept = write_kept(records, tmp / f"{name}-kept.parquet")
    sources = {s: source_manifest(s) for s in sorted({r.source for r in records})}
    out = tmp / name
    manifest = write_release(
        kept, out, registry=REGISTRY, sources=sources, manifest=build_manifest(records), **kwargs
    )
    return out, manifest


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReleaseManifest]:
    return build_release(tmp_path_factory.mktemp("release"))


def front_matter(release_dir: Path) -> dict:
    text = (release_dir / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


# -- layout and manifest ---------------------------------------------------------


def test_shards_are_named_the_hub_way(release: tuple[Path, ReleaseManifest]) -> None:
    out, manifest = release
    shards = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert shards == [
        "data/explanation/task51/test-00000-of-00001.parquet",
        "data/ner/task1004/train-00000-of-00001.parquet",
        "data/ner/task125/test-00000-of-00001.parquet",
        "data/ner/task125/train-00000-of-00001.parquet",
        "data/ner/task126/test-00000-of-00001.parquet",
        "data/ner/task126/train-00000-of-00001.parquet",
        "data/qa/task11/train-00000-of-00001.parquet",
        "data/qa/task57/test-00000-of-00001.parquet",
        "data/qa/task57/train-00000-of-00001.parquet",
    ]
    described = ["LICENSE.md", "README.md", "croissant.json", "instructions.json"]
    assert sorted(manifest.files) == sorted([*shards, *described])
    assert manifest.files["data/qa/task57/test-00000-of-00001.parquet"].rows == 3
    assert manifest.files["README.md"].rows is None
    assert sorted(p.name for p in out.iterdir()) == sorted([*described, "data", "manifest.json"])
    assert not list(out.parent.glob(".release.*")), "no partial or old folder may be left behind"
    assert read_manifest(out) == manifest
    verify_release(out)


def test_manifest_lists_every_config_with_split_counts(release: tuple[Path, ReleaseManifest]) -> None:
    _, manifest = release
    assert manifest.configs == {
        "all": {"train": 11, "test": 8},
        "qa": {"train": 4, "test": 3},
        "explanation": {"test": 2},
        "ner": {"train": 7, "test": 3},
        "bench": {"test": 8},
        "rationale": {"test": 2},
        "mcqa": {"test": 3},
        "task11": {"train": 2},
        "task51": {"test": 2},
        "task57": {"train": 2, "test": 3},
        "task125": {"train": 3, "test": 2},
        "task126": {"train": 2, "test": 1},
        "task1004": {"train": 2},
    }
    assert list(manifest.configs) == [
        "all", "qa", "explanation", "ner", "bench", "rationale", "mcqa",
        "task11", "task51", "task57", "task125", "task126", "task1004",
    ]
    # Provenance and ledger from the build are carried through unchanged.
    assert manifest.counts["total"].kept == TOTAL
    assert manifest.options["dedup_threshold"] == 0.8


def test_shards_hold_sorted_records_with_the_record_schema(release: tuple[Path, ReleaseManifest]) -> None:
    out, _ = release
    table = pq.read_table(out / "data/qa/task57/test-00000-of-00001.parquet")
    assert table.schema.remove_metadata() == RECORD_SCHEMA
    expected = [r for r in small_records() if r.task_id == "task57" and r.split.value == "test"]
    assert table.column("id").to_pylist() == [r.id for r in expected]
    assert table.column("options").to_pylist()[0] == ["A. aspirin", "B. heparin", "C. warfarin"]
    assert table.slice(0, 1).to_pylist()[0] == expected[0].model_dump(mode="json")


def test_parquet_files_are_zstd_with_page_index_and_no_pandas_metadata(
    release: tuple[Path, ReleaseManifest],
) -> None:
    out, _ = release
    handle = pq.ParquetFile(out / "data/ner/task125/train-00000-of-00001.parquet")
    meta = handle.metadata
    column = meta.row_group(0).column(0)
    assert column.compression == "ZSTD"
    assert column.has_offset_index and column.has_column_index
    assert b"pandas" not in (handle.schema_arrow.metadata or {})
    assert meta.created_by.startswith("parquet-cpp-arrow")


# -- sharding ------------------------------------------------------------------------


def many_records(n: int = 60) -> list[Record]:
    # Inputs of varied length so byte-based boundaries are not row-count based.
    return sorted(
        (make_record("task125", "train", f"r{i:03d}", text="chem " * (5 + (i * 37) % 90)) for i in range(n)),
        key=sort_key,
    )


def test_a_large_group_is_split_into_numbered_shards_by_byte_size(tmp_path: Path) -> None:
    records = many_records()
    limits = ShardLimits(shard_bytes=8_000, row_group_rows=7, row_group_bytes=3_000)
    out, manifest = build_release(tmp_path, records, limits=limits)
    folder = out / "data/ner/task125"
    names = sorted(p.name for p in folder.iterdir())
    count = len(names)
    assert count > 1
    assert names == [f"train-{i:05d}-of-{count:05d}.parquet" for i in range(count)]
    sizes = row_nbytes(records_to_table(records).to_batches()[0])
    ids, start = [], 0
    for name in names:
        handle = pq.ParquetFile(folder / name)
        rows = handle.metadata.num_rows
        # A shard holds at most the byte target (greedy: the next row would overflow it) ...
        assert sizes[start : start + rows].sum() <= limits.shard_bytes
        if start + rows < len(records):
            assert sizes[start : start + rows + 1].sum() > limits.shard_bytes
        # ... and no row group has more rows than the first (datasets' batch size).
        groups = [handle.metadata.row_group(i).num_rows for i in range(handle.metadata.num_row_groups)]
        assert max(groups) == groups[0] <= limits.row_group_rows
        ids += handle.read(columns=["id"]).column("id").to_pylist()
        start += rows
    assert ids == [r.id for r in records]
    assert manifest.configs["task125"] == {"train": len(records)}
    loaded = datasets.load_dataset(str(out), "task125", cache_dir=str(tmp_path / "cache"))
    assert loaded["train"]["id"] == ids


def test_an_oversized_row_gets_a_shard_of_its_own(tmp_path: Path) -> None:
    records = sorted(
        [make_record("task125", "train", f"r{i}", text="x" * (50 if i != 2 else 20_000)) for i in range(5)],
        key=sort_key,
    )
    out, manifest = build_release(tmp_path, records, limits=ShardLimits(shard_bytes=10_000))
    rows = [info.rows for path, info in sorted(manifest.files.items()) if path.endswith(".parquet")]
    big = next(i for i, r in enumerate(records) if len(r.input) == 20_000)
    # The small rows before and after it share shards; the big one stands alone.
    assert rows == [n for n in (big, 1, len(records) - big - 1) if n]
    verify_release(out)


def test_two_runs_write_byte_identical_releases(tmp_path: Path) -> None:
    records = many_records(40)
    limits = ShardLimits(shard_bytes=6_000, row_group_rows=5, row_group_bytes=2_000)
    first, _ = build_release(tmp_path, records, name="first", limits=limits)
    second, _ = build_release(tmp_path, records, name="second", limits=limits)
    # A third run reads the same records split differently over two kept files.
    kept_dir = tmp_path / "kept-parts"
    kept_dir.mkdir()
    table = records_to_table(records)
    pq.write_table(table.slice(0, 13), kept_dir / "part-0.parquet", row_group_size=4)
    pq.write_table(table.slice(13), kept_dir / "part-1.parquet", row_group_size=9)
    third = tmp_path / "third"
    write_release(
        kept_dir, third, registry=REGISTRY, sources={"bc4chemd": source_manifest("bc4chemd")},
        manifest=build_manifest(records), limits=limits,
    )

    def contents(root: Path) -> dict[str, bytes]:
        files = sorted(p for p in root.rglob("*") if p.is_file())
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}

    reference = contents(first)
    assert len([p for p in reference if p.endswith(".parquet")]) > 1
    assert contents(second) == reference
    assert contents(third) == reference


# -- the card and datasets -------------------------------------------------------------


@pytest.mark.parametrize("config", ["all", "ner", "task125", "bench", "mcqa", "rationale"])
def test_datasets_loads_each_config_with_default_verification(
    release: tuple[Path, ReleaseManifest], config: str, tmp_path: Path
) -> None:
    out, manifest = release
    loaded = datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "cache"))
    assert {split: ds.num_rows for split, ds in loaded.items()} == manifest.configs[config]
    info = next(c for c in front_matter(out)["dataset_info"] if c["config_name"] == config)
    recorded = next(iter(loaded.values())).info
    # The card's sizes are exactly what datasets records while preparing the config.
    assert {s["name"]: s["num_bytes"] for s in info["splits"]} == {
        name: split.num_bytes for name, split in recorded.splits.items()
    }
    assert info["download_size"] == recorded.download_size
    assert info["dataset_size"] == recorded.dataset_size
    assert recorded.features == datasets.Features.from_arrow_schema(RECORD_SCHEMA)
    if config == "bench":
        assert sorted(set(loaded["test"]["task_id"])) == ["task125", "task126", "task51", "task57"]
    if config == "mcqa":
        assert set(loaded["test"]["task_id"]) == {"task57"}


def test_datasets_sees_the_configs_and_all_is_the_default(
    release: tuple[Path, ReleaseManifest], tmp_path: Path
) -> None:
    out, manifest = release
    assert datasets.get_dataset_config_names(str(out)) == list(manifest.configs)
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert {split: ds.num_rows for split, ds in loaded.items()} == {"train": 11, "test": 8}


def test_a_wrong_card_count_fails_datasets_verification(
    release: tuple[Path, ReleaseManifest], tmp_path: Path
) -> None:
    # The card's num_examples are checked by datasets: prove the check is live.
    copy = tmp_path / "copy"
    shutil.copytree(release[0], copy)
    front = front_matter(copy)
    info = next(i for i in front["dataset_info"] if i["config_name"] == "task125")
    info["splits"][0]["num_examples"] += 1
    body = (copy / "README.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    (copy / "README.md").write_text(
        "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body, encoding="utf-8"
    )
    with pytest.raises(datasets.exceptions.NonMatchingSplitsSizesError):
        datasets.load_dataset(str(copy), "task125", cache_dir=str(tmp_path / "cache"))


def test_card_front_matter(release: tuple[Path, ReleaseManifest]) -> None:
    out, _ = release
    front = front_matter(out)
    assert front["license"] == "other"
    assert front["license_name"] == "per-source-licenses"
    # ``license: other`` links the per-source license file of the release (the Hub's card spec).
    assert front["license_link"] == "LICENSE.md" and (out / "LICENSE.md").is_file()
    assert front["language"] == ["en", "zh"]
    assert front["multilinguality"] == ["multilingual"]
    assert front["source_datasets"] == [
        "bc4chemd", "bc5cdr", "cmeee", "medqa", "mmedbench", "pubmedqa",
    ]
    assert front["size_categories"] == ["n<1K"]
    assert front["pretty_name"] == "MedS-Ins"
    assert front["task_categories"] == [
        "question-answering", "text-generation", "token-classification",
    ]
    assert {"medical", "meds-ins", "meds-bench"} <= set(front["tags"])
    configs = {c["config_name"]: c for c in front["configs"]}
    assert configs["all"]["default"] is True
    assert sum(1 for c in front["configs"] if c.get("default")) == 1
    assert configs["ner"]["data_files"] == [
        {"split": "train", "path": "data/ner/*/train-*.parquet"},
        {"split": "test", "path": "data/ner/*/test-*.parquet"},
    ]
    assert configs["task125"]["data_files"] == [
        {"split": "train", "path": "data/ner/task125/train-*.parquet"},
        {"split": "test", "path": "data/ner/task125/test-*.parquet"},
    ]
    # Benchmark configs: test split only, each task's shards listed explicitly.
    assert configs["bench"]["data_files"] == [
        {
            "split": "test",
            "path": [
                "data/explanation/task51/test-*.parquet",
                "data/qa/task57/test-*.parquet",
                "data/ner/task125/test-*.parquet",
                "data/ner/task126/test-*.parquet",
            ],
        }
    ]
    assert configs["rationale"]["data_files"] == [
        {"split": "test", "path": "data/explanation/task51/test-*.parquet"}
    ]
    # A split without shards is not listed (a glob matching nothing breaks datasets).
    assert configs["task11"]["data_files"] == [{"split": "train", "path": "data/qa/task11/train-*.parquet"}]
    infos = {i["config_name"]: i for i in front["dataset_info"]}
    assert set(infos) == set(configs)
    # The schema is written once, on the default config; the others read the same one from their shards.
    assert infos["all"]["features"] == features_yaml()
    assert [name for name, info in infos.items() if "features" in info] == ["all"]
    assert [s["name"] for s in infos["ner"]["splits"]] == ["train", "test"]
    assert [s["num_examples"] for s in infos["ner"]["splits"]] == [7, 3]
    assert infos["all"]["download_size"] == sum(
        p.stat().st_size for p in out.rglob("*.parquet")
    )


def test_card_yaml_is_accepted_by_huggingface_hub(release: tuple[Path, ReleaseManifest]) -> None:
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard

    data = DatasetCard.load(release[0] / "README.md").data
    infos = DatasetInfosDict.from_dataset_card_data(data)
    assert infos["task57"].splits["test"].num_examples == 3
    assert infos["all"].features == datasets.Features.from_arrow_schema(RECORD_SCHEMA)


def test_card_body(release: tuple[Path, ReleaseManifest]) -> None:
    text = (release[0] / "README.md").read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2]
    assert "# MedS-Ins" in body
    assert "arXiv 2408.12547" in body and "Wu, Chaoyi" in body
    assert "| `all` | every task | 6 | 11 | 8 |" in body
    assert "| `mcqa` | MedS-Bench mcqa | 1 | – | 3 |" in body
    assert "### `ner` — Named Entity Recognition" in body
    assert "| `task125` | bc4chemd_chemical_ner | BC4CHEMD (CHEMDNER) | `ner` | en | 3 | 2 |" in body
    license_link = "[LicenseRef-BioCreative-Terms](https://example.org/bc5cdr/license)"
    assert f"| `bc5cdr` | BC5CDR corpus | {license_link} | open | 3 | https://example.org/bc5cdr |" in body
    # The ledger: one row per source and the total (entered, kept, invalid, conflict, license, language, dup, cont).
    assert "| **total** | 25 | 19 | 0 | 0 | 0 | 0 | 6 | 0 |" in body
    assert "| `medqa` | 6 | 5 | 0 | 0 | 0 | 0 | 1 | 0 |" in body
    assert '- `dedup_threshold`: `0.8`' in body
    assert 'repo = "medsins/meds-ins"' in body and 'medsins.load("ner", repo_id=repo)' in body
    assert 'load_dataset("medsins/meds-ins", "ner")' in body
    assert 'medsins.load("task125", split="test", repo_id=repo)' in body
    assert 'medsins.load("mcqa", split="test", repo_id=repo)' in body
    assert "published as [`medsins/meds-ins`](https://huggingface.co/datasets/medsins/meds-ins)" in body
    assert "`croissant.json`" in body
    assert "Not for publication" not in body
    # Corpus citations sit beside their licenses in LICENSE.md (attribution), with the license table.
    licenses = (release[0] / "LICENSE.md").read_text(encoding="utf-8")
    assert "Authors of bc5cdr. The bc5cdr corpus. 2020." in licenses
    assert f"| `bc5cdr` | BC5CDR corpus | {license_link} | open | 3 | https://example.org/bc5cdr |" in licenses


def test_card_of_an_unpublishable_release_warns_and_uses_extras(tmp_path: Path) -> None:
    records = [r for r in small_records() if r.source == "medqa"]
    kept = write_kept(records, tmp_path / "kept.parquet")
    write_release(
        kept, tmp_path / "rel", registry=REGISTRY, sources={"medqa": source_manifest("medqa")},
        manifest=build_manifest(records, publishable=False),
        card_extras={"pretty_name": "MedS-Ins (medqa only)", "repo_id": "me/medqa", "tags": ["usmle"]},
    )
    front = front_matter(tmp_path / "rel")
    assert front["license"] == "mit" and "license_name" not in front and "license_link" not in front
    assert front["multilinguality"] == ["monolingual"] and front["source_datasets"] == ["medqa"]
    assert front["pretty_name"] == "MedS-Ins (medqa only)"
    assert "usmle" in front["tags"] and "meds-bench" in front["tags"]
    body = (tmp_path / "rel" / "README.md").read_text(encoding="utf-8")
    assert "Not for publication" in body and "`local` profile" in body
    # The examples name this repo and configs this release has: medqa is a qa task (task57, test only).
    assert 'load_dataset("me/medqa", "qa")' in body and "medsins/meds-ins" not in body
    assert 'medsins.load("task57", split="test", repo_id=repo)' in body and "task125" not in body
    with pytest.raises(ReleaseError, match="unknown card_extras key 'title'"):
        write_release(
            kept, tmp_path / "rel2", registry=REGISTRY, sources={}, manifest=build_manifest(records),
            card_extras={"title": "x"},
        )


@pytest.mark.parametrize(
    ("licenses", "expected"),
    [
        (["CC-BY-4.0"], ("cc-by-4.0", None)),
        (["CC-BY-4.0", "CC-BY-4.0"], ("cc-by-4.0", None)),
        (["ODC-By-1.0"], ("odc-by", None)),
        (["NOASSERTION"], ("unknown", None)),
        (["LicenseRef-PhysioNet-Credentialed"], ("other", "licenseref-physionet-credentialed")),
        (["MIT", "CC-BY-4.0"], ("other", "per-source-licenses")),
    ],
)
def test_hub_license(licenses: list[str], expected: tuple[str, str | None]) -> None:
    assert hub_license(licenses) == expected


def test_size_category() -> None:
    assert [size_category(n) for n in (0, 999, 1_000, 250_000, 5_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "100K<n<1M", "1M<n<10M",
    ]


def test_polars_reads_every_shard(release: tuple[Path, ReleaseManifest]) -> None:
    out, _ = release
    frame = pl.read_parquet(out / "data/**/*.parquet")
    assert frame.height == TOTAL
    assert sorted(frame["id"].to_list()) == sorted(r.id for r in small_records())
    ner = pl.read_parquet(out / "data/ner/*/train-*.parquet")
    assert set(ner["task_id"].to_list()) == {"task125", "task126", "task1004"}


# -- atomicity and verification -------------------------------------------------------


def test_a_failed_write_leaves_no_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_card(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk full while writing the card")

    monkeypatch.setattr("medsins.release.writer.render_card", broken_card)
    with pytest.raises(RuntimeError, match="disk full"):
        build_release(tmp_path)
    assert not (tmp_path / "release").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".release")]


def test_a_failure_mid_shards_keeps_the_old_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, old_manifest = build_release(tmp_path)
    before = {p.relative_to(old).as_posix(): p.read_bytes() for p in old.rglob("*") if p.is_file()}
    calls = []
    real = shard_module.datasets_num_bytes

    def fail_on_third(path: Path) -> int:
        calls.append(path)
        if len(calls) == 3:
            raise OSError("interrupted")
        return real(path)

    monkeypatch.setattr(shard_module, "datasets_num_bytes", fail_on_third)
    records = [*small_records(), make_record("task128", "train", "new")]
    with pytest.raises(OSError, match="interrupted"):
        write_release(
            write_kept(records, tmp_path / "new-kept.parquet"), old, registry=REGISTRY,
            sources={}, manifest=build_manifest(records),
        )
    assert len(calls) == 3
    after = {p.relative_to(old).as_posix(): p.read_bytes() for p in old.rglob("*") if p.is_file()}
    assert after == before
    assert verify_release(old) == old_manifest
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".release")]


def test_a_new_release_replaces_the_old_one(tmp_path: Path) -> None:
    out, _ = build_release(tmp_path)
    records = [r for r in small_records() if r.task_id == "task57"]
    kept = write_kept(records, tmp_path / "kept57.parquet")
    manifest = write_release(
        kept, out, registry=REGISTRY, sources={"medqa": source_manifest("medqa")},
        manifest=build_manifest(records),
    )
    assert sorted(manifest.configs) == sorted(["all", "qa", "bench", "mcqa", "task57"])
    assert not (out / "data/ner").exists()
    assert verify_release(out) == manifest


def test_a_folder_that_is_not_a_release_is_never_replaced(tmp_path: Path) -> None:
    precious = tmp_path / "release"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ReleaseError, match="not a release folder"):
        build_release(tmp_path)
    assert (precious / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_verify_release_catches_a_changed_shard(tmp_path: Path) -> None:
    out, _ = build_release(tmp_path)
    shard = out / "data/ner/task125/train-00000-of-00001.parquet"
    table = pq.read_table(shard)
    pq.write_table(table.slice(0, 2), shard)  # a shard silently rewritten with a row missing
    changed = r"task125/train-00000-of-00001\.parquet differs from the manifest"
    with pytest.raises(ReleaseError, match=changed):
        verify_release(out)


def test_unsorted_or_unknown_input_is_refused(tmp_path: Path) -> None:
    records = small_records()
    # task11/train comes back after the other groups: the input is not grouped.
    pq.write_table(records_to_table([*records, records[0]]), tmp_path / "bad.parquet")
    with pytest.raises(ReleaseError, match="not sorted"):
        write_release(
            tmp_path / "bad.parquet", tmp_path / "out", registry=REGISTRY, sources={},
            manifest=build_manifest(records),
        )
    reversed_ids = records[:2][::-1]  # task11 train, ids descending
    pq.write_table(records_to_table(reversed_ids), tmp_path / "desc.parquet")
    with pytest.raises(ReleaseError, match="not sorted by id"):
        write_release(
            tmp_path / "desc.parquet", tmp_path / "out", registry=REGISTRY, sources={},
            manifest=build_manifest(reversed_ids),
        )
    stranger = make_record("task125", "train", "x").model_copy(update={"task_id": "task99999"})
    pq.write_table(records_to_table([stranger]), tmp_path / "stranger.parquet")
    with pytest.raises(ReleaseError, match="unknown task task99999"):
        write_release(
            tmp_path / "stranger.parquet", tmp_path / "out", registry=REGISTRY, sources={},
            manifest=build_manifest([stranger]),
        )
    pq.write_table(records_to_table([]), tmp_path / "empty.parquet")
    with pytest.raises(ReleaseError, match="nothing to release"):
        write_release(
            tmp_path / "empty.parquet", tmp_path / "out", registry=REGISTRY, sources={},
            manifest=build_manifest([]),
        )
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
