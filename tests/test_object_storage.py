"""``--raw-root``, ``--work`` and ``--out`` in object storage: an S3 server (moto) on 127.0.0.1, real S3 clients.

The build reads the raw files from a bucket and writes the work folder and the
release to it through pyarrow's S3 file system; the release downloaded with
boto3 must be byte-identical to a local build of the same raw files, with the
local engine and with the Ray engine.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from medsins.build import BuildOptions, build
from medsins.cli import main
from medsins.ledger import LEDGER_NAME
from medsins.plugins import catalog

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

SOURCES = ("medqa", "pubmedqa")
BUCKET = "corpora"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """An S3 server on 127.0.0.1 holding the raw files of SOURCES under s3://corpora/raw/<source>/."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_REGION", "us-east-1"), ("AWS_DEFAULT_REGION", "us-east-1"),
                            ("AWS_ENDPOINT_URL", endpoint),
                            ("MEDSINS_CACHE", str(tmp_path_factory.mktemp("cache")))):
            env.setenv(name, value)
        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket=BUCKET)
        raw = tmp_path_factory.mktemp("raw")
        for source in SOURCES:
            shutil.copytree(catalog().get(source).sample_dir, raw / source)
            for path in sorted((raw / source).rglob("*")):
                if path.is_file():
                    client.upload_file(str(path), BUCKET, f"raw/{path.relative_to(raw).as_posix()}")
        try:
            yield client, raw
        finally:
            server.stop()


def bucket_files(client, prefix: str) -> dict[str, bytes]:
    """The objects under ``prefix``; the empty ``…/`` folder markers pyarrow's S3 file system leaves are not files."""
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
            for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    return {key[len(prefix):]: client.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in sorted(keys)}


def local_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def local_release(s3, tmp_path_factory) -> tuple[dict[str, bytes], bytes]:
    """The release (and work ledger) of a local build of the same raw files."""
    _, raw = s3
    options = BuildOptions(raw_root=raw, out=tmp_path_factory.mktemp("local") / "release", quiet=True)
    build(options)
    return local_files(options.out), (options.work_dir / LEDGER_NAME).read_bytes()


def test_bucket_to_bucket_release_is_byte_identical(s3, local_release) -> None:
    client, _ = s3
    argv = ["build", "--raw-root", f"s3://{BUCKET}/raw", "--out", f"s3://{BUCKET}/release",
            "--work", f"s3://{BUCKET}/work", "--quiet"]
    assert main(argv) == 0
    release, ledger = local_release
    assert bucket_files(client, "release/") == release
    assert bucket_files(client, "work/")[LEDGER_NAME] == ledger
    # A second build over the same bucket work folder resumes from its markers and replaces the release.
    assert main(argv) == 0
    assert bucket_files(client, "release/") == release


def test_ray_engine_bucket_to_bucket_release_is_byte_identical(s3, local_release) -> None:
    ray = pytest.importorskip("ray")
    client, _ = s3
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 << 20)
    try:
        build(BuildOptions(raw_root=f"s3://{BUCKET}/raw", out=f"s3://{BUCKET}/ray-release",
                           work=f"s3://{BUCKET}/ray-work", engine="ray", quiet=True))
    finally:
        ray.shutdown()
    release, ledger = local_release
    assert bucket_files(client, "ray-release/") == release
    assert bucket_files(client, "ray-work/")[LEDGER_NAME] == ledger


def test_file_urls_work_like_paths(s3, local_release, tmp_path) -> None:
    _, raw = s3
    result = build(BuildOptions(raw_root=raw.as_uri(), out=(tmp_path / "release").as_uri(), quiet=True))
    assert result.release == (tmp_path / "release").as_uri()
    assert local_files(tmp_path / "release") == local_release[0]
