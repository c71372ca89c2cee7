"""Round trip: a release built from ../shared/realdata, pushed to the local Hub, read back.

The release is a real ``medsins build`` (convert, filter, dedup, shards, card, manifest).

``medsins.load(..., repo_id=…)`` and ``datasets.load_dataset(repo_id, …)`` go
through the local endpoint with the real clients (``HfFileSystem``, resolve
downloads) and must give exactly the rows of the local release's shards. The
push takes the clients' default path: shards go to the local Hub's Xet storage.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hub_server import LocalHub, local_hub

import medsins
from medsins.release.manifest import MANIFEST_NAME, read_manifest, sha256_file, verify_release
from medsins.release.push import PushError, RetryPolicy, push_release

__all__ = ["local_hub"]  # the fixture, imported for pytest

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

REPO = "medsins/meds-ins"
#: Real corpora: three NER sources and one MCQA benchmark source.
SOURCES = ("bc5cdr", "ncbi_disease", "species800", "medqa")


@pytest.fixture(scope="module")
def release(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``medsins build`` of the real corpora (public profile), as a maintainer runs it before a push."""
    from medsins.build import BuildOptions, build

    out = tmp_path_factory.mktemp("build") / "release"
    result = build(BuildOptions(raw_root=realdata, sources=SOURCES, out=out, quiet=True))
    verify_release(out)
    assert result.manifest.publishable and result.manifest.counts["total"].kept > 0
    return out


def release_rows(release: Path, pattern: str) -> list[dict]:
    """Rows of the local shards matching ``pattern``, read with pyarrow (not through datasets)."""
    rows = [row for shard in sorted(release.glob(pattern)) for row in pq.read_table(shard).to_pylist()]
    return sorted(rows, key=lambda r: r["id"])


def hub_rows(dataset) -> list[dict]:
    return sorted(dataset.to_list(), key=lambda r: r["id"])


def published(hub: LocalHub, repo: str = REPO) -> dict[str, str]:
    files = hub.server.files(repo)
    files.pop(".gitattributes")
    return files


def release_files(release: Path) -> dict[str, str]:
    files = {path: info.sha256 for path, info in read_manifest(release).files.items()}
    files[MANIFEST_NAME] = sha256_file(release / MANIFEST_NAME)
    return files


def test_a_pushed_release_reads_back_identically_through_both_clients(local_hub, release, tmp_path):
    import datasets

    push_release(release, REPO, token=local_hub.token)
    pushed_routes = local_hub.server.routes_used()
    assert published(local_hub) == release_files(release)

    ner = release_rows(release, "data/ner/*/train-*.parquet")
    assert {r["task_id"] for r in ner} == {"task27", "task28", "task126", "task128"}  # all three NER corpora
    start = len(local_hub.server.log)

    via_medsins = medsins.load("ner", repo_id=REPO, cache_dir=tmp_path / "a")
    via_datasets = datasets.load_dataset(REPO, "ner", cache_dir=str(tmp_path / "b"))

    assert list(via_medsins) == list(via_datasets) == ["train"]
    assert hub_rows(via_medsins["train"]) == hub_rows(via_datasets["train"]) == ner
    # A task config and a benchmark split, through the same endpoint.
    task = medsins.load("task27", split="train", repo_id=REPO, cache_dir=tmp_path / "a")
    assert hub_rows(task) == release_rows(release, "data/ner/task27/train-*.parquet")
    bench = datasets.load_dataset(REPO, "mcqa", split="test", cache_dir=str(tmp_path / "b"))
    assert hub_rows(bench) == release_rows(release, "data/qa/task57/test-*.parquet") != []
    # The local folder gives the same rows too.
    assert hub_rows(medsins.load("ner", path=release, cache_dir=tmp_path / "c")["train"]) == ner

    read_routes = {(r.method, r.route) for r in local_hub.server.log[start:]}
    assert read_routes >= {("GET", "repo_info"), ("GET", "tree"), ("HEAD", "resolve"), ("GET", "resolve")}
    assert pushed_routes >= {
        ("POST", "validate_yaml"),
        ("GET", "repo_info"),
        ("POST", "create_repo"),
        ("POST", "preupload"),
        ("GET", "xet_token"),
        ("POST", "xet_xorb"),
        ("POST", "xet_shard"),
        ("POST", "commit"),
    }
    assert not {("POST", "lfs_batch"), ("PUT", "lfs_upload")} & pushed_routes


def test_a_second_push_of_an_unchanged_release_makes_no_commit(local_hub, release):
    push_release(release, REPO, token=local_hub.token)
    commits = local_hub.server.commit_count(REPO)

    again = push_release(release, REPO, token=local_hub.token)

    assert again.up_to_date
    assert local_hub.server.commit_count(REPO) == commits
    assert sum(r.route == "commit" for r in local_hub.server.log) == commits - 1  # only the first push's


def test_an_interrupted_push_is_finished_by_a_rerun_and_reads_back(local_hub, release, tmp_path):
    import datasets

    local_hub.server.fail("commit", drop=True, after=1, times=100)  # the connection dies from commit 2 on
    with pytest.raises(PushError, match="run it again"):
        push_release(
            release,
            REPO,
            token=local_hub.token,
            commit_max_files=2,
            retry=RetryPolicy(attempts=2, sleep=lambda _: None),
        )
    assert "README.md" not in local_hub.server.files(REPO)  # nothing looks like a release yet

    local_hub.restart()
    result = push_release(release, REPO, token=local_hub.token, commit_max_files=2)
    push_release(release, "medsins/clean", token=local_hub.token)

    assert len(result.unchanged) == 2  # the first data commit survived the interruption
    assert published(local_hub) == release_files(release)
    shards = {path: sha for path, sha in release_files(release).items() if path.startswith("data/")}
    assert {p: s for p, s in published(local_hub, "medsins/clean").items() if p.startswith("data/")} == shards
    ner = datasets.load_dataset(REPO, "ner", split="train", cache_dir=str(tmp_path / "d"))
    assert hub_rows(ner) == release_rows(release, "data/ner/*/train-*.parquet")


def test_a_release_pushed_to_another_repo_reads_back_naming_it(local_hub, release, tmp_path):
    import datasets
    from huggingface_hub import hf_hub_download

    target = "my-org/x"  # the release names medsins/meds-ins, the default repo
    result = push_release(release, target, token=local_hub.token)

    assert "README.md" in result.retargeted
    ner = datasets.load_dataset(target, "ner", cache_dir=str(tmp_path / "d"))
    assert hub_rows(ner["train"]) == release_rows(release, "data/ner/*/train-*.parquet")
    card = Path(hf_hub_download(target, "README.md", repo_type="dataset", cache_dir=tmp_path / "h")).read_text()
    assert f'load_dataset("{target}"' in card and REPO not in card
    # The published manifest describes the published card; the local release still verifies as built.
    manifest = Path(hf_hub_download(target, MANIFEST_NAME, repo_type="dataset", cache_dir=tmp_path / "h"))
    assert json.loads(manifest.read_text())["files"]["README.md"]["sha256"] == hashlib.sha256(card.encode()).hexdigest()
    verify_release(release)
