"""``--engine ray`` on a single-node Ray (``ray.init(num_cpus=2)``): the same bytes as the local engine.

Compared byte for byte: every file of the release (shards, card, manifest,
croissant.json, the release's ledger) and the work folder's ledger, on the
bundled samples and on the complete real files of ../shared/fullcorpora; the
distributed dedup index against the local one; and a build whose driver is
killed with SIGKILL and rerun. Ray starts once for the module and is shut down after it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_helpers import build_both, release_bytes

from medsins.build import BuildOptions, build
from medsins.pipeline.ray_dedup import RayIndex
from medsins.pipeline.shards import write_task_shards
from medsins.plugins import catalog
from medsins.release.shard import ShardLimits, ShardStats, write_shards
from medsins.stages.dedup import InputIndex
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


def _inputs_file(path: Path, texts: list[str], group_rows: int) -> Path:
    writer = pq.ParquetWriter(path, pa.schema([("input", pa.string())]))
    for start in range(0, len(texts), group_rows):
        writer.write_table(pa.table({"input": texts[start : start + group_rows]}))
    writer.close()
    return path


@pytest.mark.parametrize("verify", ["exact", "estimate"])
def test_ray_index_finds_the_local_index_groups(single_node, tmp_path, verify) -> None:
    """Sketch tasks, the band-key shuffle and verification tasks: the same groups and signatures as InputIndex.

    The corpus has near-duplicates, exact duplicates spread over parts and files
    (one input, one bucket member), and a bucket far larger than the 64-input window.
    """
    rng = random.Random(7)
    words = [f"w{i}" for i in range(200)]
    base = [" ".join(rng.choice(words) for _ in range(24)) for _ in range(150)]
    texts = []
    for _ in range(6000):
        tokens = (rng.choice(base) if rng.random() < 0.6 else " ".join(rng.choice(words) for _ in range(24))).split()
        if rng.random() < 0.5:
            tokens[rng.randrange(len(tokens))] = rng.choice(words)
        texts.append(" ".join(tokens))
    texts += ["is aspirin safe in pregnancy"] * 30 + [f"is aspirin safe in pregnancy {i}" for i in range(150)]
    rng.shuffle(texts)
    files = [_inputs_file(tmp_path / f"f{k}.parquet", texts[k::3], 700) for k in range(3)]
    ordered = [text for path in files for text in pq.read_table(path).column(0).to_pylist()]
    local = InputIndex(tmp_path / "local", verify=verify)
    local.add(ordered)
    expected = local.groups()
    on_ray = RayIndex(ray, files, tmp_path / "ray", slots=2, threshold=0.8, num_perm=128, seed=1, verify=verify)
    found = on_ray.groups()
    assert len(expected) > 100
    for name in expected._fields:
        assert np.array_equal(getattr(expected, name), getattr(found, name)), name
    assert np.array_equal(local.signatures(expected.inputs), on_ray.signatures(found.inputs))


def _descendants(root: int) -> dict[int, str]:
    """Process ids below ``root`` with their start times (``/proc``), so a reused id is not mistaken."""
    children: dict[int, list[int]] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            started[int(entry.name)] = fields[19]
    found: dict[int, str] = {}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found[child] = started[child]
            stack.append(child)
    return found


def _alive(pids: dict[int, str]) -> list[int]:
    alive = []
    for pid, start in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            alive.append(pid)
    return alive


def test_a_killed_ray_build_reruns_to_the_same_bytes_and_leaves_no_process(tmp_path) -> None:
    """kill -9 of the driver after convert's first done marker; the rerun resumes; same bytes as local.

    The killed driver's own Ray (started for the build) fate-shares with it: its
    GCS, raylet, monitor and workers exit within a second or two. Ray's two node
    agents (``ray::DashboardAgent``, ``ray::RuntimeEnvAgent``) notice the dead
    raylet within ~2 s but then publish the error to the dead GCS with a hard-coded
    60 s timeout (``ray._private.utils.publish_error_to_driver``) before exiting;
    they are the only processes allowed to remain, and the test ends them itself.
    """
    sources = "medqa,pubmedqa,medmcqa,headqa"
    work, out = tmp_path / "work", tmp_path / "ray"
    command = [sys.executable, "-m", "medsins", "build", "--engine", "ray", "--workers", "2", "--sources", sources,
               "--out", str(out), "--work", str(work), "--quiet"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list(work.glob("convert/*/done.json")):
            assert child.poll() is None, "the build ended before it could be killed"
            assert time.monotonic() < deadline, "no convert marker within 60 s"
            time.sleep(0.05)
        spawned = _descendants(child.pid)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert spawned, "the Ray engine started no process"
    assert not out.exists() and not (work / "dedup" / "done.json").exists()  # killed mid-build
    subprocess.run(command, check=True, timeout=120, stdout=subprocess.DEVNULL)
    local = BuildOptions(sources=tuple(sources.split(",")), out=tmp_path / "local", quiet=True)
    build(local)
    assert release_bytes(out, work) == release_bytes(local.out, local.work_dir)
    agents = {"ray::DashboardAgent", "ray::RuntimeEnvAgent"}
    deadline = time.monotonic() + 10
    while set(_names(_alive(spawned))) - agents and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _alive(spawned)
    assert set(_names(left)) <= agents, [Path(f"/proc/{pid}/cmdline").read_bytes()[:300] for pid in left]
    for pid in _alive(spawned):  # the agents, which would exit on their own ~60 s after the kill
        os.kill(pid, signal.SIGKILL)


#: An agent killed before it set its process title still shows the script it was started with.
AGENT_SCRIPTS = {"ray/dashboard/agent.py": "ray::DashboardAgent",
                 "ray/_private/runtime_env/agent/main.py": "ray::RuntimeEnvAgent"}


def _names(pids: list[int]) -> list[str]:
    names = []
    for pid in pids:
        try:
            argv = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
        except OSError:
            continue
        script = next((AGENT_SCRIPTS[s] for a in argv[1:3] for s in AGENT_SCRIPTS if a.endswith(s)), None)
        names.append(script or argv[0].strip())
    return names


def test_task_shards_in_ray_tasks_are_write_shards_bytes(single_node, tmp_path) -> None:
    """Each task's kept file written by its own Ray task: the same shard files, list and statistics."""
    options = BuildOptions(sources=("medqa", "pubmedqa", "medmcqa"), out=tmp_path / "release", quiet=True)
    build(options)
    kept = options.work_dir / "kept"
    config_of = {task.id: catalog().registry.config_of(task.id) for task in catalog().registry}
    limits = ShardLimits(shard_bytes=40_000, row_group_rows=50)  # several shards a task
    expected_stats, found_stats = ShardStats(), ShardStats()
    expected = write_shards(kept, tmp_path / "one", config_of, limits=limits, stats=expected_stats)
    found = write_task_shards(ray, kept, tmp_path / "many", config_of, limits=limits, stats=found_stats)
    assert len(expected) > len(list(kept.iterdir())) and found == expected
    assert found_stats == expected_stats
    assert release_bytes_of(tmp_path / "one") == release_bytes_of(tmp_path / "many")


def release_bytes_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
