"""``--engine ray`` on a single-node Ray (``ray.init(num_cpus=2)``): the same bytes as the local engine.

Compared byte for byte: every file of the release (shards, card, manifest,
croissant.json, the release's ledger) and the work folder's ledger, on the
bundled samples and on the complete real files of ../shared/fullcorpora.
Ray starts once for the module and is shut down after it.
"""

from __future__ import annotations

import pytest
from engine_helpers import build_both, release_bytes

from medsins.build import BuildOptions, build
from medsins.stages.license import Profile

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def single_node():
    """A two-CPU Ray on this machine, for the module; no Ray process survives it."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 << 20)
    try:
        yield ray.get_runtime_context()
    finally:
        ray.shutdown()


def test_samples_release_is_byte_identical(single_node, tmp_path) -> None:
    local, on_ray = build_both(tmp_path)
    assert sorted(local) == sorted(on_ray)
    assert {name for name in local if local[name] != on_ray[name]} == set()
    assert "manifest.json" in local and "ledger.parquet" in local


def test_fullcorpora_release_is_byte_identical(single_node, fullcorpora, tmp_path) -> None:
    local, on_ray = build_both(tmp_path, raw_root=fullcorpora, profile=Profile.LOCAL)
    assert sorted(local) == sorted(on_ray)
    assert {name for name in local if local[name] != on_ray[name]} == set()


def test_stage_markers_hold_across_engines(single_node, tmp_path) -> None:
    """A work folder the local engine filled is resumed by the Ray engine (nothing redone), same bytes."""
    work = tmp_path / "work"
    first = BuildOptions(sources=("medqa", "pubmedqa"), out=tmp_path / "local", work=work, quiet=True)
    build(first)
    markers = {p: p.stat().st_mtime_ns for p in sorted(work.glob("*/*/done.json"))}
    again = BuildOptions(sources=("medqa", "pubmedqa"), out=tmp_path / "ray", work=work, quiet=True, engine="ray")
    build(again)
    assert markers and {p: p.stat().st_mtime_ns for p in markers} == markers
    assert release_bytes(first.out, work) == release_bytes(again.out, work)
