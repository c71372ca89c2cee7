"""croissant.json: read back with mlcroissant (records equal to the shards), RAI fields, checksums."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlcroissant as mlc
import numpy as np
import pyarrow.parquet as pq
import pytest
from test_card import REPO, build_full_release
from test_release import LICENSES, build_release

from medsins.errors import ReleaseError
from medsins.registry import builtin_registry
from medsins.release.croissant import retarget_croissant
from medsins.release.manifest import ReleaseManifest, sha256_file, verify_release
from medsins.release.schema import RECORD_COLUMNS

REGISTRY = builtin_registry()


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReleaseManifest]:
    return build_release(tmp_path_factory.mktemp("croissant"))


def load(release_dir: Path) -> mlc.Dataset:
    return mlc.Dataset(jsonld=release_dir / "croissant.json")


def plain(value: object) -> object:
    """An mlcroissant value as the Parquet reader gives it (text comes back as bytes, arrays as lists)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    return value


def croissant_rows(dataset: mlc.Dataset, record_set: str) -> list[dict[str, object]]:
    prefix = f"{record_set}/"
    rows = [{k.removeprefix(prefix): plain(v) for k, v in r.items()} for r in dataset.records(record_set=record_set)]
    return sorted(rows, key=lambda r: str(r["id"]))


def parquet_rows(release_dir: Path, pattern: str) -> list[dict[str, object]]:
    rows = [row for path in sorted(release_dir.glob(pattern)) for row in pq.read_table(path).to_pylist()]
    return sorted(rows, key=lambda r: r["id"])


@pytest.mark.parametrize(("record_set", "pattern"), [
    ("ner", "data/ner/*/*.parquet"),
    ("all", "data/*/*/*.parquet"),
    ("bench", "data/*/*/test-*.parquet"),  # every test record of the small release is a MedS-Bench task's
])
def test_mlcroissant_reads_the_records_of_the_shards(
    release: tuple[Path, ReleaseManifest], record_set: str, pattern: str
) -> None:
    out, manifest = release
    rows = croissant_rows(load(out), record_set)
    expected = parquet_rows(out, pattern)
    assert len(rows) == sum(manifest.configs[record_set].values()) == len(expected)
    assert list(rows[0]) == list(RECORD_COLUMNS)
    assert rows == expected  # every column of every record, lists included


def test_metadata_rai_fields_and_licenses(release: tuple[Path, ReleaseManifest]) -> None:
    out, _ = release
    metadata = load(out).metadata
    assert not metadata.ctx.issues.errors
    assert metadata.url == f"https://huggingface.co/datasets/{'medsins/meds-ins'}"
    assert "Secondary use of 6 published corpora" in metadata.data_collection
    assert any("Health information" in s for s in metadata.personal_sensitive_information)
    assert any(s.startswith("Languages (input language of each record's task): en ") for s in metadata.data_biases)
    assert any("`public` license profile (publishable)" in s for s in metadata.data_limitations)
    # One license entry per (source, license) with records, linked to the source's license page.
    licenses = {(w.name, w.url) for w in metadata.license}
    sources = {"bc4chemd", "bc5cdr", "cmeee", "medqa", "mmedbench", "pubmedqa"}
    assert licenses == {(LICENSES[s], f"https://example.org/{s}/license") for s in sources}
    names = sorted(rs.name for rs in metadata.record_sets)
    assert names == ["all", "bench", "explanation", "mcqa", "ner", "qa", "rationale"]


def test_every_shard_is_a_file_object_with_the_manifest_checksum(release: tuple[Path, ReleaseManifest]) -> None:
    out, manifest = release
    document = json.loads((out / "croissant.json").read_text(encoding="utf-8"))
    objects = {d["contentUrl"]: d["sha256"] for d in document["distribution"] if d["@type"] == "cr:FileObject"}
    shards = {path: info.sha256 for path, info in manifest.files.items() if path.endswith(".parquet")}
    assert objects == shards
    assert document["conformsTo"][0] == "http://mlcommons.org/croissant/1.1"


def test_croissant_json_is_in_the_manifest_and_verified(release: tuple[Path, ReleaseManifest], tmp_path: Path) -> None:
    out, manifest = release
    assert manifest.files["croissant.json"].sha256 == sha256_file(out / "croissant.json")
    assert manifest.files["LICENSE.md"].sha256 == sha256_file(out / "LICENSE.md")
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    path = copy / "croissant.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"name": "MedS-Ins"', '"name": "Edited"'), "utf-8")
    with pytest.raises(ReleaseError, match=r"croissant\.json differs from the manifest"):
        verify_release(copy)


def test_retarget_croissant_changes_only_the_url(release: tuple[Path, ReleaseManifest]) -> None:
    text = (release[0] / "croissant.json").read_text(encoding="utf-8")
    moved = retarget_croissant(text, "other/meds")
    before, after = json.loads(text), json.loads(moved)
    assert after.pop("url") == "https://huggingface.co/datasets/other/meds"
    before.pop("url")
    assert after == before
    assert retarget_croissant(moved, "medsins/meds-ins") == text


def test_a_full_release_has_a_record_set_per_grouping_config(tmp_path: Path) -> None:
    out, manifest = build_full_release(tmp_path)
    dataset = load(out)
    assert dataset.metadata.url == f"https://huggingface.co/datasets/{REPO}"
    expected = [name for name in manifest.configs if name not in REGISTRY]  # all, categories, bench, groups
    assert [rs.name for rs in dataset.metadata.record_sets] == expected
    # Credentialed corpora in the release are named as such (a local build of every source).
    assert any("mimic_iv_note" in s and "Credentialed" in s for s in dataset.metadata.personal_sensitive_information)
    rows = croissant_rows(dataset, "translation")
    assert len(rows) == sum(manifest.configs["translation"].values())
    assert rows == parquet_rows(out, "data/translation/*/*.parquet")
