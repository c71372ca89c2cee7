"""``medsins.load``: configs, aliases, benchmark groups and tasks of a local release."""

from __future__ import annotations

from pathlib import Path

import datasets
import hub_server
import pytest
from hub_server import LocalHub
from test_release import TOTAL, build_release, small_records

from medsins.errors import MedsinsError, UnknownNameError
from medsins.load import DEFAULT_REPO_ID, RELEASE_ENV, load
from medsins.registry import builtin_registry
from medsins.release.manifest import ReleaseManifest

REGISTRY = builtin_registry()

#: The local Hub (a real HTTP server on 127.0.0.1) shared with the push tests.
local_hub = hub_server.local_hub


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReleaseManifest]:
    return build_release(tmp_path_factory.mktemp("load"))


@pytest.fixture
def cache(tmp_path: Path) -> str:
    return str(tmp_path / "hf-cache")


def ids_of(task_ids: set[str], split: str) -> list[str]:
    return sorted(r.id for r in small_records() if r.task_id in task_ids and r.split.value == split)


def test_a_category_config_is_a_datasetdict_of_train_and_test(
    release: tuple[Path, ReleaseManifest], cache: str
) -> None:
    out, manifest = release
    ner = load("ner", path=out, cache_dir=cache, registry=REGISTRY)
    assert isinstance(ner, datasets.DatasetDict)
    sizes = {split: ds.num_rows for split, ds in ner.items()}
    assert sizes == manifest.configs["ner"] == {"train": 7, "test": 3}
    assert sorted(ner["train"]["id"]) == ids_of({"task125", "task126", "task1004"}, "train")
    assert set(ner["test"]["config"]) == {"ner"}


def test_an_alias_loads_its_config(release: tuple[Path, ReleaseManifest], cache: str) -> None:
    out, _ = release
    by_alias = load("named_entity_recognition", path=out, cache_dir=cache, registry=REGISTRY)
    assert sorted(by_alias["test"]["id"]) == ids_of({"task125", "task126"}, "test")
    assert load("Named Entity Recognition", split="train", path=out, cache_dir=cache).num_rows == 7


def test_one_task_one_split_is_a_dataset(release: tuple[Path, ReleaseManifest], cache: str) -> None:
    out, _ = release
    test = load("task125", split="test", path=out, cache_dir=cache, registry=REGISTRY)
    assert isinstance(test, datasets.Dataset)
    assert test.num_rows == 2
    assert set(test["task_id"]) == {"task125"} and set(test["split"]) == {"test"}
    assert sorted(test["output"]) == [
        "bc4chemd_chemical_ner output test-0",
        "bc4chemd_chemical_ner output test-1",
    ]


def test_benchmark_groups_load_their_test_split(release: tuple[Path, ReleaseManifest], cache: str) -> None:
    out, _ = release
    mcqa = load("mcqa", split="test", path=out, cache_dir=cache, registry=REGISTRY)
    assert mcqa.num_rows == 3 and set(mcqa["task_id"]) == {"task57"}
    assert mcqa[0]["options"] == ["A. aspirin", "B. heparin", "C. warfarin"]
    bench = load("bench", path=out, cache_dir=cache, registry=REGISTRY)
    assert list(bench) == ["test"]
    assert sorted(bench["test"]["id"]) == ids_of({"task51", "task57", "task125", "task126"}, "test")


def test_the_release_folder_can_come_from_the_environment(
    release: tuple[Path, ReleaseManifest], cache: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = release
    monkeypatch.setenv(RELEASE_ENV, str(out))
    everything = load(cache_dir=cache, registry=REGISTRY)  # name defaults to "all"
    assert sum(ds.num_rows for ds in everything.values()) == TOTAL
    assert load("rationale", split="test", cache_dir=cache).num_rows == 2


def test_an_unknown_name_lists_close_matches(release: tuple[Path, ReleaseManifest]) -> None:
    out, _ = release
    with pytest.raises(UnknownNameError) as caught:
        load("nerr", path=out, registry=REGISTRY)
    assert "ner" in caught.value.matches
    assert "did you mean" in str(caught.value)
    with pytest.raises(UnknownNameError) as caught:
        load("task1255", path=out, registry=REGISTRY)
    assert "task125" in caught.value.matches


def test_a_valid_name_without_data_says_so(release: tuple[Path, ReleaseManifest]) -> None:
    out, _ = release
    # task128 (species800) is a real task, but this release has no record of it.
    with pytest.raises(MedsinsError, match="task128 is a valid name but the release") as caught:
        load("task128", path=out, registry=REGISTRY)
    assert not isinstance(caught.value, UnknownNameError)
    with pytest.raises(MedsinsError, match=r"'machine_translation' \(translation\) is a valid name"):
        load("machine_translation", path=out, registry=REGISTRY)


def test_a_split_the_config_lacks_is_an_error(release: tuple[Path, ReleaseManifest]) -> None:
    out, _ = release
    with pytest.raises(MedsinsError, match="config 'mcqa' has no 'train' split; it has: test"):
        load("mcqa", split="train", path=out, registry=REGISTRY)


def test_path_and_repo_id_are_exclusive(release: tuple[Path, ReleaseManifest]) -> None:
    with pytest.raises(MedsinsError, match="not both"):
        load("ner", path=release[0], repo_id=DEFAULT_REPO_ID)


def test_a_folder_that_is_not_a_release_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MedsinsError, match="not a release folder"):
        load("ner", path=tmp_path, registry=REGISTRY)


def test_loading_twice_reuses_the_arrow_cache(release: tuple[Path, ReleaseManifest], cache: str) -> None:
    out, _ = release
    first = load("task57", split="train", path=out, cache_dir=cache, registry=REGISTRY)
    second = load("task57", split="train", path=out, cache_dir=cache, registry=REGISTRY)
    # Memory-mapped from the same cached Arrow file, not a second copy.
    files = [f["filename"] for f in first.cache_files]
    assert files and files == [f["filename"] for f in second.cache_files]
    assert all(Path(f).is_relative_to(cache) for f in files)


def test_load_from_the_hub(release: tuple[Path, ReleaseManifest], local_hub: LocalHub) -> None:
    from huggingface_hub import HfApi

    out, manifest = release
    api = HfApi(token=local_hub.token)
    api.create_repo(DEFAULT_REPO_ID, repo_type="dataset")
    api.upload_folder(folder_path=str(out), repo_id=DEFAULT_REPO_ID, repo_type="dataset")
    ner = load("named_entity_recognition", registry=REGISTRY)  # DEFAULT_REPO_ID on the (local) Hub
    assert {split: ds.num_rows for split, ds in ner.items()} == manifest.configs["ner"]
    mcqa = load("mcqa", split="test", repo_id=DEFAULT_REPO_ID, revision="main", registry=REGISTRY)
    assert set(mcqa["task_id"]) == {"task57"} and mcqa.num_rows == 3
    with pytest.raises(MedsinsError, match="task128 is a valid name"):
        load("task128", repo_id=DEFAULT_REPO_ID, registry=REGISTRY)
    with pytest.raises(MedsinsError, match="has no 'train' split"):
        load("rationale", split="train", registry=REGISTRY)
