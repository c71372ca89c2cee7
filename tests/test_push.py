"""``medsins push`` against the local Hub (tests/hub_server.py), with hand-made releases.

Every test talks HTTP to a real server through the real ``huggingface_hub``
client, on its default path: with ``hf_xet`` installed, shards go to the local
Hub's Xet storage. The server keeps repositories on disk, so "what is on the
Hub" is read from its store, not from the client's answers.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import itertools
import json
import logging
import math
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from hub_server import LocalHub, local_hub, make_record, small_records, write_release
from huggingface_hub import HfApi, HfFileSystem, constants, snapshot_download
from huggingface_hub.errors import OfflineModeIsEnabled, RepositoryNotFoundError
from huggingface_hub.utils._runtime import is_xet_available

from medsins.commands import push as push_command
from medsins.errors import ReleaseError
from medsins.release.manifest import MANIFEST_NAME, read_manifest, sha256_file, verify_release, write_manifest
from medsins.release.push import (
    LocalFile,
    PushError,
    RemoteFile,
    RetryPolicy,
    is_transient,
    plan_push,
    push_release,
    restricted_sources,
)

__all__ = ["local_hub"]  # the fixture, imported for pytest

# huggingface_hub's own LFS upload call trips a DeprecationWarning of its HTTP client.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

REPO = "medsins/meds-ins-test"
UPLOAD_ROUTES = {
    *("preupload", "commit", "create_repo", "create_branch"),
    *("xet_token", "xet_xorb", "xet_shard"),  # Xet storage, the default
    *("lfs_batch", "lfs_upload"),  # git-LFS, for clients without hf_xet
}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A public release for REPO: 5 shards (ner task27/task125 train+test, qa task11 train), card, manifest."""
    return write_release(tmp_path_factory.mktemp("rel") / "release", small_records(), repo_id=REPO)


def release_files(folder: Path) -> dict[str, str]:
    """path -> sha256 of everything a push should publish."""
    manifest = read_manifest(folder)
    files = {path: info.sha256 for path, info in manifest.files.items()}
    files[MANIFEST_NAME] = sha256_file(folder / MANIFEST_NAME)
    return files


def on_hub(hub: LocalHub, repo: str = REPO, revision: str = "main") -> dict[str, str]:
    """path -> sha256 on the local Hub, without the repo's own .gitattributes."""
    files = hub.server.files(repo, revision)
    files.pop(".gitattributes")
    return files


def data_files(files: dict[str, str]) -> dict[str, str]:
    """The shards of a listing (what does not name the repository)."""
    return {path: sha for path, sha in files.items() if path.startswith("data/")}


def fast(delays: list[float], attempts: int = 3) -> RetryPolicy:
    """A retry policy that records its waits instead of sleeping."""
    return RetryPolicy(attempts=attempts, base_delay=0.5, sleep=delays.append)


def routes_since(hub: LocalHub, start: int) -> list[str]:
    return [r.route for r in hub.server.log[start:]]


# --------------------------------------------------------------------------- publishing


def test_first_push_creates_the_repo_and_puts_the_card_in_the_last_commit(local_hub, release):
    result = push_release(release, REPO, token=local_hub.token, commit_max_files=2)

    repo = local_hub.server.repo(REPO)
    assert repo.meta["private"] is False  # a public, redistributable build
    assert on_hub(local_hub) == release_files(release)
    history = repo.history(repo.resolve("main")[1])  # newest first
    assert result.commit_oids == list(reversed(history[:-1]))  # every commit but the Hub's initial one
    data_commits = math.ceil(5 / 2)
    assert len(result.commit_oids) == data_commits + 1
    # Until the last commit, the repo has shards but no card and no manifest: not a release.
    for oid in result.commit_oids[:-1]:
        assert not {"README.md", MANIFEST_NAME} & set(repo.commit(oid)["tree"])
    before_last = repo.commit(result.commit_oids[-2])["tree"]
    added_last = set(repo.commit(result.commit_oids[-1])["tree"]) - set(before_last)
    assert added_last == {"README.md", MANIFEST_NAME}
    # Each data commit respects the bound.
    chain = [history[-1], *result.commit_oids]
    sizes = [
        len(set(repo.commit(new)["tree"]) - set(repo.commit(old)["tree"]))
        for old, new in itertools.pairwise(chain[:-1])
    ]
    assert sizes == [2, 2, 1]
    assert result.plan[-1].additions == ["README.md", MANIFEST_NAME]


def test_unchanged_repush_makes_no_commit_and_uploads_nothing(local_hub, release):
    push_release(release, REPO, token=local_hub.token)
    head = local_hub.server.head(REPO)
    start = len(local_hub.server.log)

    again = push_release(release, REPO, token=local_hub.token)

    assert again.up_to_date and again.commit_oids == []
    assert local_hub.server.head(REPO) == head
    assert not UPLOAD_ROUTES & set(routes_since(local_hub, start))
    assert "up to date: 7 files unchanged, no commit needed" in again.describe()


def test_a_changed_release_uploads_only_the_changes_and_drops_stale_shards(local_hub, release, tmp_path):
    push_release(release, REPO, token=local_hub.token)
    # The new release: task27 train gains a record, task11 (qa) is gone.
    records = [r for r in small_records() if r.task_id != "task11"]
    records.append(make_record("task27", "ncbi_disease", "ner", "Named Entity Recognition", "train", 99))
    new = write_release(tmp_path / "new", records, repo_id=REPO)
    start = len(local_hub.server.log)

    result = push_release(new, REPO, token=local_hub.token)

    assert on_hub(local_hub) == release_files(new)
    assert "data/qa/task11/train-00000-of-00001.parquet" not in local_hub.server.files(REPO)
    # Only the changed shard's content was uploaded (card and manifest travel inside the commit).
    assert local_hub.server.uploaded(start) == [sha256_file(new / "data/ner/task27/train-00000-of-00001.parquet")]
    assert [c.additions for c in result.plan] == [
        ["data/ner/task27/train-00000-of-00001.parquet"],
        ["README.md", MANIFEST_NAME],
    ]
    assert result.plan[-1].deletions == ["data/qa/task11/train-00000-of-00001.parquet"]
    assert sorted(result.unchanged) == sorted(
        p for p in release_files(new) if p.startswith("data/") and "task27/train" not in p
    )


# --------------------------------------------------------------------------- interruption and retries


def test_an_interrupted_push_is_finished_by_a_rerun(local_hub, release):
    # The second commit (and every retry of it) fails: the push stops after one data commit.
    local_hub.server.fail("commit", status=500, after=1, times=100)
    delays: list[float] = []
    with pytest.raises(PushError) as err:
        push_release(release, REPO, token=local_hub.token, commit_max_files=2, retry=fast(delays))
    assert err.value.kind == "interrupted"
    assert "run it again" in str(err.value)
    assert delays == [0.5, 1.0]  # bounded, exponential
    half = local_hub.server.files(REPO)
    landed = {sha for path, sha in half.items() if path.startswith("data/")}
    assert len(landed) == 2
    assert "README.md" not in half and MANIFEST_NAME not in half  # not visible as a release
    first_run = set(local_hub.server.uploaded())

    local_hub.restart()  # new server process state (and Xet CAS address), same disk
    start = len(local_hub.server.log)
    result = push_release(release, REPO, token=local_hub.token, commit_max_files=2)

    second_run = set(local_hub.server.uploaded(start))
    shards = {sha for path, sha in release_files(release).items() if path.endswith(".parquet")}
    assert landed <= first_run and first_run | second_run == shards
    assert second_run == shards - landed  # what had landed is not uploaded again
    assert len(result.unchanged) == 2  # the shards of the commit that landed
    # The end state is exactly a clean push's (the card and manifest of "clean" name that repo).
    push_release(release, "medsins/clean", token=local_hub.token)
    assert on_hub(local_hub) == release_files(release)
    assert data_files(on_hub(local_hub, "medsins/clean")) == data_files(release_files(release))


@pytest.mark.parametrize(
    "fault",
    [{"status": 503}, {"status": 502}, {"status": 429}, {"status": 409}, {"status": 412}, {"drop": True}],
    ids=["503", "502", "429", "409-conflict", "412-precondition", "dropped-connection"],
)
def test_transient_errors_and_conflicts_are_retried(local_hub, release, fault):
    local_hub.server.fail("commit", **fault)
    delays: list[float] = []

    result = push_release(release, REPO, token=local_hub.token, retry=fast(delays))

    assert result.retries == 1 and delays == [0.5]
    assert on_hub(local_hub) == release_files(release)
    assert local_hub.server.commit_count(REPO) == 1 + 2  # initial + data + card: no duplicate


def test_a_commit_whose_answer_was_lost_is_not_made_twice(local_hub, release):
    local_hub.server.fail("commit", lose_response=True)  # the commit lands, the client sees a dropped connection
    delays: list[float] = []

    result = push_release(release, REPO, token=local_hub.token, retry=fast(delays))

    assert result.retries == 1
    assert local_hub.server.commit_count(REPO) == 1 + 2
    assert on_hub(local_hub) == release_files(release)


def test_a_failed_xet_upload_is_retried(local_hub, release):
    # A 503 of the Xet storage: hf_xet retries it itself (after ~3 s), the push goes on.
    local_hub.server.fail("xet_shard", status=503)
    delays: list[float] = []

    push_release(release, REPO, token=local_hub.token, retry=fast(delays))

    assert on_hub(local_hub) == release_files(release)
    assert [r.status for r in local_hub.server.calls("xet_shard")] == [503, 200]


@pytest.mark.parametrize(
    ("route", "status", "kind"),
    [
        ("commit", 422, "hub"),
        ("commit", 404, "not-found"),
        ("commit", 401, "auth"),
        ("commit", 403, "auth"),
        ("preupload", 404, "not-found"),
        ("xet_token", 404, "not-found"),  # the Hub says: no Xet storage for this repo
        ("xet_token", 401, "auth"),
        ("xet_xorb", 403, "auth"),
        ("xet_shard", 422, "hub"),
    ],
    ids=lambda v: str(v),
)
def test_non_transient_errors_are_not_retried_and_read_as_one_line(local_hub, release, route, status, kind):
    local_hub.server.fail(route, status=status, times=100)
    delays: list[float] = []
    started = time.monotonic()
    with pytest.raises(PushError) as err:
        push_release(release, REPO, token=local_hub.token, retry=fast(delays))
    assert delays == [] and err.value.kind == kind, str(err.value)
    assert len(local_hub.server.calls(route)) == 1  # neither medsins nor huggingface_hub/hf_xet asked twice
    assert time.monotonic() - started < 5
    assert str(status) in str(err.value) and "\n" not in str(err.value)
    assert local_hub.token not in str(err.value)


def _chained(outer: Exception, inner: Exception) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (httpx2.ReadTimeout("timed out"), True),
        (httpx2.ConnectTimeout("timed out"), True),
        (httpx2.RemoteProtocolError("Server disconnected without sending a response."), True),
        (httpx2.ReadError("[Errno 104] Connection reset by peer"), True),
        (httpx2.ConnectError("[Errno -2] Name or service not known"), False),
        (httpx2.ConnectError("[Errno 111] Connection refused"), False),
        (OfflineModeIsEnabled("Cannot reach https://huggingface.co: offline mode is enabled."), False),
        # hf_xet's errors: builtin exceptions whose message carries the HTTP status
        (ConnectionError("Server error: HTTP status server error (503 Service Unavailable), domain: x"), True),
        (ConnectionError("Rate limited: HTTP status client error (429 Too Many Requests), domain: x"), True),
        (ConnectionError("Network error: Request error: HTTP status client error (404 Not Found), domain: x"), False),
        (ConnectionError("Network error: error sending request: dns error: failed to lookup address"), False),
        (ConnectionError("Network error: connection reset by peer"), True),
        (TimeoutError("Timeout: operation timed out"), True),
        (_chained(RuntimeError("Error while uploading 'a.parquet' to the Hub."), TimeoutError("timed out")), True),
        (ValueError("not about the network"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_only_transient_errors_are_worth_a_retry(error, transient):
    assert is_transient(error) is transient


# --------------------------------------------------------------------------- the default client path


def test_the_push_takes_the_default_xet_path(local_hub, release):
    # What a user's client does: hf_xet is installed and nothing turns it off.
    assert importlib.util.find_spec("hf_xet") is not None
    assert "HF_HUB_DISABLE_XET" not in os.environ and not constants.HF_HUB_DISABLE_XET
    assert is_xet_available()

    push_release(release, REPO, token=local_hub.token)

    routes = {r.route for r in local_hub.server.log}
    assert {"preupload", "xet_token", "xet_xorb", "xet_shard", "commit"} <= routes
    assert not {"lfs_batch", "lfs_upload"} & routes  # git-LFS is not used
    token_calls = local_hub.server.calls("xet_token")
    assert {r.path for r in token_calls} == {f"/api/datasets/{REPO}/xet-write-token/main"}
    # Every shard's content reached the Hub through Xet and was rebuilt there byte for byte.
    shards = {sha for path, sha in release_files(release).items() if path.endswith(".parquet")}
    assert set(local_hub.server.uploaded()) == shards
    assert on_hub(local_hub) == release_files(release)


# --------------------------------------------------------------------------- an unreachable Hub


def _closed_port() -> int:
    with socket.socket() as sock:  # bound then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("http://nonexistent.invalid", "cannot resolve host nonexistent.invalid"),
        ("closed", "cannot connect to 127.0.0.1"),
    ],
    ids=["dns-failure", "connection-refused"],
)
def test_an_unreachable_hub_is_not_retried(local_hub, release, endpoint, reason):
    endpoint = f"http://127.0.0.1:{_closed_port()}" if endpoint == "closed" else endpoint
    delays: list[float] = []
    started = time.monotonic()
    with pytest.raises(PushError) as err:
        push_release(release, REPO, token=local_hub.token, endpoint=endpoint, retry=fast(delays))
    assert err.value.kind == "unreachable" and err.value.reason.startswith(reason)
    assert delays == [] and time.monotonic() - started < 5
    assert "\n" not in str(err.value) and "--dry-run" in str(err.value)

    plan = push_release(release, REPO, token=local_hub.token, endpoint=endpoint, dry_run=True, retry=fast(delays))
    assert plan.unreachable.startswith(reason) and delays == []
    assert sorted(p for c in plan.plan for p in c.additions) == sorted(release_files(release))


def test_offline_mode_is_not_retried(local_hub, release, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets at import
    delays: list[float] = []
    with pytest.raises(PushError) as err:
        push_release(release, REPO, token=local_hub.token, retry=fast(delays))
    assert err.value.kind == "unreachable" and "HF_HUB_OFFLINE" in str(err.value)
    assert delays == [] and local_hub.server.log == []  # no request left the machine

    plan = push_release(release, REPO, token=local_hub.token, dry_run=True, retry=fast(delays))
    assert plan.unreachable == "offline mode: HF_HUB_OFFLINE is set"
    assert local_hub.server.log == []
    assert [c.additions for c in plan.plan] == [
        sorted(p for p in release_files(release) if p.startswith("data/")),
        ["README.md", MANIFEST_NAME],
    ]


def medsins_cli(*argv: str, env: dict[str, str], timeout: float = 30) -> tuple[subprocess.CompletedProcess, float]:
    """The real ``medsins`` command in a fresh process (huggingface_hub reads HF_* at import); and its time."""
    script = Path(sys.executable).with_name("medsins")  # the console script of this environment
    assert script.is_file(), f"{script} is missing: install the package (pip install -e .)"
    started = time.monotonic()
    done = subprocess.run([str(script), *argv], env=env, capture_output=True, text=True, timeout=timeout)
    return done, time.monotonic() - started


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user without the Hub: no HF_* settings of this machine, no token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env |= {"HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHONUNBUFFERED": "1"}
    return env


@pytest.fixture(scope="module")
def release_with_croissant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("croissant") / "release", small_records(), croissant=True)


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ({"HF_HUB_OFFLINE": "1"}, "offline mode: HF_HUB_OFFLINE is set"),
        ({"HF_ENDPOINT": "http://nonexistent.invalid"}, "cannot resolve host nonexistent.invalid"),
    ],
    ids=["HF_HUB_OFFLINE", "unresolvable-endpoint"],
)
def test_cli_dry_run_works_offline(release_with_croissant, offline_env, setting, reason):
    done, seconds = medsins_cli(
        "push", str(release_with_croissant), "--repo", "my-org/x", "--dry-run", env=offline_env | setting
    )

    assert done.returncode == 0, done.stderr
    assert seconds < 5, f"the offline dry run took {seconds:.1f} s"
    out = done.stdout.splitlines()
    assert out[0] == f"remote unreachable ({reason}): planned against an empty repository"
    listed = [line.split()[1] for line in out if line.startswith("    + ")]
    assert sorted(listed) == sorted(release_files(release_with_croissant))  # every file, croissant.json too
    assert listed[-3:] == ["README.md", "croissant.json", MANIFEST_NAME]  # described last
    assert "README.md and croissant.json rewritten to name my-org/x" in done.stdout


def test_cli_json_dry_run_offline_is_the_plan_as_data(release_with_croissant, offline_env):
    done, _ = medsins_cli(
        "push", str(release_with_croissant), "--repo", "my-org/x", "--dry-run", "--json",
        env=offline_env | {"HF_HUB_OFFLINE": "1"},
    )

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # JSON and nothing else on stdout
    assert summary["repo_id"] == "my-org/x" and summary["dry_run"] is True
    assert summary["unreachable"] == "offline mode: HF_HUB_OFFLINE is set"
    added = [path for commit in summary["commits"] for path in commit["add"]]
    assert sorted(added) == sorted(release_files(release_with_croissant))
    assert summary["commits"][-1]["add"][-1] == MANIFEST_NAME
    assert all(commit["oid"] is None for commit in summary["commits"])  # nothing was committed


def test_cli_json_push_reports_the_commits_made(local_hub, release, capsys):
    assert run_cli(str(release), "--repo", REPO, "--token", local_hub.token, "--json") == 0

    summary = json.loads(capsys.readouterr().out)
    assert summary["dry_run"] is False and summary["create_repo"] is True
    assert summary["url"].endswith(f"/datasets/{REPO}")
    oids = [commit["oid"] for commit in summary["commits"]]
    assert len(oids) == 2 and all(oid and len(oid) == 40 for oid in oids)
    assert sorted(p for c in summary["commits"] for p in c["add"]) == sorted(on_hub(local_hub))


def test_cli_push_offline_fails_at_once_on_one_line(release, offline_env):
    done, seconds = medsins_cli(
        "push",
        str(release),
        "--repo",
        "my-org/x",
        "--token",
        "hf_" + "z" * 32,
        env=offline_env | {"HF_HUB_OFFLINE": "1"},
    )

    assert done.returncode == 1 and seconds < 5
    assert done.stderr.count("\n") == 1 and "HF_HUB_OFFLINE" in done.stderr
    assert "retry" not in done.stderr.lower() and "z" * 32 not in done.stderr


# --------------------------------------------------------------------------- the card names the repository


def test_a_release_pushed_to_another_repo_names_it_and_still_verifies(local_hub, release_with_croissant, tmp_path):
    target = "my-org/x"  # the release was built for medsins/meds-ins
    result = push_release(release_with_croissant, target, token=local_hub.token)

    assert result.retargeted == ["README.md", "croissant.json"]
    card = local_hub.server.file_bytes(target, "README.md").decode()
    assert "<!-- medsins:repo_id=my-org/x -->" in card and 'load_dataset("my-org/x", "ner")' in card
    assert "medsins/meds-ins" not in card
    assert "https://huggingface.co/datasets/my-org/x" in local_hub.server.file_bytes(target, "croissant.json").decode()
    # The repository is itself a release: its manifest lists the checksums of the files it holds.
    folder = snapshot_download(target, repo_type="dataset", local_dir=tmp_path / "x", token=local_hub.token)
    shutil.rmtree(Path(folder) / ".cache", ignore_errors=True)
    (Path(folder) / ".gitattributes").unlink()
    verify_release(Path(folder))
    # The release folder itself is untouched, and a re-push finds nothing to do.
    verify_release(release_with_croissant)
    assert push_release(release_with_croissant, target, token=local_hub.token).up_to_date


def test_a_card_that_does_not_name_its_repo_is_refused(local_hub, release, tmp_path):
    rel = tmp_path / "rel"
    shutil.copytree(release, rel)
    card = rel / "README.md"
    card.write_text(re.sub(r"<!-- medsins:repo_id=\S+ -->\n", "", card.read_text()))
    manifest = read_manifest(rel)
    manifest.files["README.md"].sha256 = sha256_file(card)
    manifest.files["README.md"].bytes = card.stat().st_size
    write_manifest(rel, manifest)

    with pytest.raises(ReleaseError, match="does not name its repository"):
        push_release(rel, "my-org/x", token=local_hub.token)
    assert local_hub.server.log == []


# --------------------------------------------------------------------------- auth and errors


def test_no_token_is_a_clear_error_before_any_request(local_hub, release):
    with pytest.raises(PushError) as err:
        push_release(release, REPO)
    assert err.value.kind == "auth"
    assert "no Hugging Face token" in str(err.value) and "HF_TOKEN" in str(err.value)
    assert local_hub.server.log == []


def test_the_token_comes_from_hf_token(local_hub, release, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", local_hub.token)
    push_release(release, REPO)
    assert on_hub(local_hub) == release_files(release)


def test_a_wrong_token_is_a_clear_auth_error(local_hub, release):
    wrong = "hf_" + "x" * 32
    with pytest.raises(PushError) as err:
        push_release(release, REPO, token=wrong)
    assert err.value.kind == "auth"
    assert "rejected the token (401" in str(err.value)
    assert wrong not in str(err.value)
    assert local_hub.server.store.get("dataset", REPO) is None


def test_a_token_without_rights_on_the_org_is_refused(local_hub, release):
    with pytest.raises(PushError) as err:
        push_release(release, REPO, token=local_hub.other_token)
    assert err.value.kind == "auth" and "403" in str(err.value)


def test_a_missing_repo_with_no_create_is_an_error(local_hub, release):
    with pytest.raises(PushError) as err:
        push_release(release, REPO, token=local_hub.token, create=False)
    assert err.value.kind == "not-found"
    assert "does not exist" in str(err.value) and "--no-create" in str(err.value)
    assert local_hub.server.store.get("dataset", REPO) is None


def test_a_card_the_hub_rejects_fails_before_anything_is_created(local_hub, tmp_path):
    # A config without a name: the counts still match the manifest, but the Hub's validator says no.
    bad = write_release(
        tmp_path / "bad",
        small_records(),
        card_metadata={"configs": [{"data_files": [{"split": "train", "path": "data/*/*/train-*.parquet"}]}]},
    )
    with pytest.raises(PushError) as err:
        push_release(bad, REPO, token=local_hub.token)
    assert err.value.kind == "card"
    assert "rejected the dataset card" in str(err.value) and "config_name" in str(err.value)
    assert local_hub.server.store.get("dataset", REPO) is None
    assert not UPLOAD_ROUTES & {r.route for r in local_hub.server.log}


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="medsins")
    push_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["push", *argv])
    return args.func(args)


def test_the_token_is_never_printed_or_logged(local_hub, release, capfd, caplog):
    # Everything at DEBUG: ours, huggingface_hub's (it sets its own level) and the HTTP client's.
    for name in (None, "medsins", "huggingface_hub", "httpx2", "httpx", "httpcore", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    wrong = "hf_" + "y" * 32

    assert run_cli(str(release), "--repo", REPO, "--token", local_hub.token, "--dry-run") == 0
    assert run_cli(str(release), "--repo", REPO, "--token", local_hub.token) == 0
    assert run_cli(str(release), "--repo", REPO, "--token", wrong) == 1
    assert run_cli(str(release), "--repo", "medsins/other", "--token", local_hub.token, "--no-create") == 1

    out, err = capfd.readouterr()  # file-descriptor level: hf_xet (Rust) writes there too
    seen = out + err + caplog.text
    assert "published:" in out and "rejected the token" in err  # the runs did talk
    assert "HTTP Request: POST" in caplog.text  # and the HTTP client's debug log was captured
    assert local_hub.token not in seen and wrong not in seen
    assert not re.search(r"hf_[A-Za-z0-9]{20,}", seen)  # no token-shaped string at all


def test_cli_errors_are_one_line_with_a_nonzero_exit(local_hub, release, capsys):
    assert run_cli(str(release), "--repo", REPO) == 1
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("medsins: error: no Hugging Face token")


def test_dry_run_prints_the_exact_commits_and_changes_nothing(local_hub, release, capsys):
    assert run_cli(str(release), "--repo", REPO, "--token", local_hub.token, "--dry-run") == 0

    out = capsys.readouterr().out
    assert f"would create public dataset repo {REPO}" in out
    assert "would make 2 commit(s) on main:" in out
    assert "commit 1/2: 'Upload release data' (5 files" in out
    assert "commit 2/2: 'Release public build (medsins 0.1.0, 15 records)' (2 files" in out
    for path in release_files(release):
        assert f"+ {path} (" in out
    assert local_hub.server.store.get("dataset", REPO) is None
    assert {r.method for r in local_hub.server.log} <= {"GET", "POST"}
    assert {r.route for r in local_hub.server.log} <= {"repo_info", "validate_yaml"}


def test_dry_run_after_a_change_lists_only_the_change(local_hub, release, tmp_path):
    push_release(release, REPO, token=local_hub.token)
    new = write_release(tmp_path / "new", [r for r in small_records() if r.task_id != "task11"], repo_id=REPO)

    plan = push_release(new, REPO, token=local_hub.token, dry_run=True)

    assert [c.additions for c in plan.plan] == [["README.md", MANIFEST_NAME]]
    assert plan.plan[0].deletions == ["data/qa/task11/train-00000-of-00001.parquet"]
    assert "- data/qa/task11/train-00000-of-00001.parquet" in plan.describe()
    assert on_hub(local_hub) == release_files(release)  # unchanged


# --------------------------------------------------------------------------- safety


@pytest.fixture(scope="module")
def research_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(
        tmp_path_factory.mktemp("research") / "release",
        small_records(),
        profile="research",
        publishable=False,
        repo_id=REPO,
    )


def test_a_restricted_release_is_never_pushed_to_a_public_repo(local_hub, research_release):
    with pytest.raises(PushError) as err:
        push_release(research_release, REPO, token=local_hub.token, private=False)
    assert err.value.kind == "unsafe" and "publishable: false" in str(err.value)
    assert local_hub.server.log == []  # refused before any request

    HfApi(token=local_hub.token).create_repo("medsins/public", repo_type="dataset", private=False)
    with pytest.raises(PushError) as err:
        push_release(research_release, "medsins/public", token=local_hub.token)
    assert err.value.kind == "unsafe"
    assert local_hub.server.commit_count("medsins/public") == 1  # nothing was committed


def test_a_restricted_release_goes_to_a_private_repo_by_default(local_hub, research_release):
    result = push_release(research_release, REPO, token=local_hub.token)
    assert result.private and local_hub.server.repo(REPO).meta["private"] is True
    # Private for real: invisible to anonymous callers and to other users.
    for token in (False, local_hub.other_token):
        with pytest.raises(RepositoryNotFoundError):
            HfApi(token=token).repo_info(REPO, repo_type="dataset")
    assert HfApi(token=local_hub.token).repo_info(REPO, repo_type="dataset").private is True


def test_restricted_sources_block_a_public_push_even_if_the_profile_says_publishable(local_hub, tmp_path):
    rel = write_release(tmp_path / "rel", small_records(), sources={"ncbi_disease": {"access": "credentialed"}})
    with pytest.raises(PushError) as err:
        push_release(rel, REPO, token=local_hub.token, private=False)
    assert "ncbi_disease" in str(err.value)
    # A restricted source whose records were all dropped by the license filter does not count.
    manifest = read_manifest(rel)
    manifest.counts["ncbi_disease"].kept = 0
    assert restricted_sources(manifest) == []


def _tamper_shard(rel: Path) -> None:
    shard = rel / "data/ner/task27/train-00000-of-00001.parquet"
    data = bytearray(shard.read_bytes())
    data[100] ^= 0xFF
    shard.write_bytes(bytes(data))


def _remove_shard(rel: Path) -> None:
    (rel / "data/qa/task11/train-00000-of-00001.parquet").unlink()


def _card_disagrees(rel: Path) -> None:
    # The card's counts change and its checksum is updated: files agree, counts do not.
    card = rel / "README.md"
    card.write_text(
        re.sub(r"num_examples: (\d+)", lambda m: f"num_examples: {int(m[1]) + 1}", card.read_text(), count=1)
    )
    manifest = read_manifest(rel)
    manifest.files["README.md"].sha256 = sha256_file(card)
    manifest.files["README.md"].bytes = card.stat().st_size
    write_manifest(rel, manifest)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_tamper_shard, "differs from the manifest (checksum changed)"),
        (_remove_shard, "file listed in the manifest is missing"),
        (_card_disagrees, "config 'all' has counts"),
    ],
    ids=["checksum", "missing-shard", "card-counts"],
)
def test_a_release_that_disagrees_with_its_manifest_is_refused(local_hub, release, tmp_path, tamper, message):
    rel = tmp_path / "rel"
    shutil.copytree(release, rel)
    tamper(rel)
    with pytest.raises(ReleaseError, match=re.escape(message)):
        push_release(rel, REPO, token=local_hub.token)
    assert local_hub.server.log == []


# --------------------------------------------------------------------------- PRs and branches


def test_create_pr_opens_a_pull_request_and_leaves_main_alone(local_hub, release, tmp_path):
    import datasets

    HfApi(token=local_hub.token).create_repo(REPO, repo_type="dataset")
    main_before = local_hub.server.head(REPO)

    result = push_release(release, REPO, token=local_hub.token, create_pr=True, commit_max_files=2)

    assert result.pr_url is not None and result.pr_url.endswith(f"/datasets/{REPO}/discussions/1")
    assert local_hub.server.head(REPO) == main_before
    assert on_hub(local_hub, revision="refs/pr/1") == release_files(release)
    assert local_hub.server.head(REPO, "refs/pr/1") == result.commit_oids[-1]
    assert len(result.commit_oids) == 4  # 3 data commits + the card, all on the PR
    refs = HfApi(token=local_hub.token).list_repo_refs(REPO, repo_type="dataset", include_pull_requests=True)
    assert [r.ref for r in refs.pull_requests] == ["refs/pr/1"]
    assert "pull request: " in result.describe()
    # The PR revision reads back through datasets, main has no release yet.
    pr = datasets.load_dataset(REPO, "task11", split="train", revision="refs/pr/1", cache_dir=str(tmp_path))
    assert sorted(pr["id"]) == sorted(r.id for r in small_records() if r.task_id == "task11")


def test_push_to_a_branch_creates_it_from_main(local_hub, release):
    push_release(release, REPO, token=local_hub.token)
    main = local_hub.server.head(REPO)
    new_records = [
        *small_records(),
        make_record("task11", "pubmedqa", "qa", "Question Answering", "train", 7),
    ]
    new = write_release(local_hub.home.parent / "v2", new_records, repo_id=REPO)

    result = push_release(new, REPO, token=local_hub.token, revision="v2")

    assert result.create_branch and result.revision == "v2"
    assert local_hub.server.head(REPO) == main
    assert on_hub(local_hub, revision="v2") == release_files(new)
    assert push_release(new, REPO, token=local_hub.token, revision="v2").up_to_date


def test_the_local_hub_answers_the_other_client_calls(local_hub, release):
    """Routes push itself does not need, checked with the real client so the server stays honest."""
    api = HfApi(token=local_hub.token)
    assert api.whoami()["name"] == "medsins-bot"
    push_release(release, REPO, token=local_hub.token, commit_max_files=3)
    commits = api.list_repo_commits(REPO, repo_type="dataset")
    assert [c.title for c in commits] == [
        "Release public build (medsins 0.1.0, 15 records)",
        "Upload release data (2/2)",
        "Upload release data (1/2)",
        "initial commit",
    ]
    pr = api.create_pull_request(REPO, title="Fix a label", repo_type="dataset")
    assert pr.num == 1 and pr.is_pull_request and pr.git_reference == "refs/pr/1"
    assert local_hub.server.head(REPO, "refs/pr/1") == local_hub.server.head(REPO)
    api.update_repo_settings(REPO, repo_type="dataset", private=True)
    with pytest.raises(RepositoryNotFoundError):
        HfApi(token=False).repo_info(REPO, repo_type="dataset")
    # Ranged reads, as HfFileSystem does them.
    fs = HfFileSystem(token=local_hub.token)
    with fs.open(f"datasets/{REPO}/README.md", "rb", block_size=8) as handle:
        handle.seek(4)
        assert handle.read(12) == (release / "README.md").read_bytes()[4:16]
    assert any(r.route == "resolve" and r.status == 206 for r in local_hub.server.log)
    # A file object cannot go through Xet: huggingface_hub falls back to git-LFS ("basic" transfer).
    start = len(local_hub.server.log)
    data = b"\0binary" * 1000
    api.upload_file(path_or_fileobj=io.BytesIO(data), path_in_repo="extra.bin", repo_id=REPO, repo_type="dataset")
    assert {"lfs_batch", "lfs_upload"} <= set(routes_since(local_hub, start))
    assert local_hub.server.file_bytes(REPO, "extra.bin") == data
    info = api.repo_info(REPO, repo_type="dataset", files_metadata=True)
    shard = next(s for s in info.siblings if s.rfilename == "data/qa/task11/train-00000-of-00001.parquet")
    assert shard.lfs is not None and shard.lfs.sha256 == release_files(release)[shard.rfilename]


def test_the_local_hub_rebuilds_xet_uploads_of_every_chunk_encoding(local_hub, tmp_path):
    """Text compresses with LZ4, floats with byte grouping + LZ4: the local Hub must rebuild both exactly."""
    import random

    from hub_server import xorb_chunks

    rnd = random.Random(0)
    contents = {
        "text.bin": "".join(rnd.choice(["alpha ", "beta ", "gamma\n"]) for _ in range(60000)).encode(),
        "floats.bin": struct.pack("<100000f", *(rnd.gauss(0, 1) for _ in range(100000))),
    }
    api = HfApi(token=local_hub.token)
    api.create_repo(REPO, repo_type="dataset")
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    api.upload_folder(folder_path=tmp_path, repo_id=REPO, repo_type="dataset")

    assert "xet_shard" in {r.route for r in local_hub.server.log}
    for name, data in contents.items():
        assert local_hub.server.file_bytes(REPO, name) == data
    xorbs = (local_hub.server.store.root / "cas" / "xorbs").iterdir()
    schemes = {chunk[0] for xorb in xorbs for chunk in xorb_chunks(xorb.read_bytes())}
    assert {1, 2} <= schemes  # LZ4 and byte-grouped LZ4 chunks were both rebuilt


def test_cli_private_flag_and_a_branch_of_a_new_repo(local_hub, release, capsys):
    code = run_cli(str(release), "--repo", REPO, "--token", local_hub.token, "--private", "--revision", "v1")

    assert code == 0
    assert local_hub.server.repo(REPO).meta["private"] is True  # even though the release may be public
    assert set(local_hub.server.files(REPO)) == {".gitattributes"}  # main untouched
    assert on_hub(local_hub, revision="v1") == release_files(release)
    out = capsys.readouterr().out
    assert f"did create private dataset repo {REPO}" in out and "did create branch v1 from main" in out


# --------------------------------------------------------------------------- planning (no server)


def test_plan_bounds_commits_by_files_and_bytes(release):
    manifest = read_manifest(release)
    local = {
        f"data/x/{i}.parquet": LocalFile(f"data/x/{i}.parquet", release / "README.md", f"{i:064x}", 400)
        for i in range(5)
    }
    local["README.md"] = LocalFile("README.md", release / "README.md", "a" * 64, 10)
    remote = {"data/x/0.parquet": RemoteFile("data/x/0.parquet", 400, f"{0:064x}", "b" * 40)}

    commits, unchanged = plan_push(local, remote, manifest=manifest, max_files=3, max_bytes=1000)

    assert unchanged == ["data/x/0.parquet"]
    assert [c.additions for c in commits] == [
        ["data/x/1.parquet", "data/x/2.parquet"],  # a third file would pass 1000 bytes
        ["data/x/3.parquet", "data/x/4.parquet"],
        ["README.md"],
    ]
    assert [c.message for c in commits[:2]] == ["Upload release data (1/2)", "Upload release data (2/2)"]
