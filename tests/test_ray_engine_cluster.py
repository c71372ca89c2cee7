"""``--engine ray`` on a two-node Ray cluster started by the test (head and one worker on 127.0.0.1).

Each node has one CPU and every stage job asks for one, so the per-source jobs
run on both nodes; the release and ledger must be byte-identical to the local
engine's. The cluster is shut down after the module: no Ray process survives it.
"""

from __future__ import annotations

import pytest
from engine_helpers import build_both, release_bytes

from medsins.build import BuildOptions, build
from medsins.stages.license import Profile

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")

#: The smallest corpora of ../shared/fullcorpora: the two-node run checks distribution, not scale.
SMALL = ("igakuqa", "jnlpba", "liveqa", "medicationqa", "meqsum", "rumedbench")


@pytest.fixture(scope="module")
def two_nodes():
    cluster = cluster_utils.Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": 100 << 20, "include_dashboard": False},
    )
    try:
        cluster.add_node(num_cpus=1, object_store_memory=100 << 20)
        ray.init(address=cluster.address, log_to_driver=False)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_two_nodes_are_alive(two_nodes) -> None:
    assert sum(1 for node in ray.nodes() if node["Alive"]) == 2


def test_samples_release_is_byte_identical_on_two_nodes(two_nodes, tmp_path) -> None:
    local, on_ray = build_both(tmp_path)
    assert sorted(local) == sorted(on_ray)
    assert {name for name in local if local[name] != on_ray[name]} == set()


def test_fullcorpora_release_is_byte_identical_on_two_nodes(two_nodes, fullcorpora, tmp_path) -> None:
    local, on_ray = build_both(tmp_path, raw_root=fullcorpora, sources=SMALL, profile=Profile.LOCAL)
    assert sorted(local) == sorted(on_ray)
    assert {name for name in local if local[name] != on_ray[name]} == set()


def test_a_rerun_on_two_nodes_gives_the_same_bytes(two_nodes, tmp_path) -> None:
    """The Ray engine twice on one work folder (the second resumes from the markers): same release."""
    work = tmp_path / "work"
    first = BuildOptions(sources=("medqa",), out=tmp_path / "a", work=work, quiet=True, engine="ray")
    build(first)
    second = BuildOptions(sources=("medqa",), out=tmp_path / "b", work=work, quiet=True, engine="ray")
    build(second)
    assert release_bytes(first.out, work) == release_bytes(second.out, work)
