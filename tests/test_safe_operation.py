"""Safe operation of ``medsins build``: one build per work folder, no orphan workers,
clean and early failures on paths, no leftovers of killed builds, escaped messages."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

import medsins.build as build_module
from medsins.build import BuildOptions, build
from medsins.cli import main
from medsins.commands.output import printable
from medsins.errors import MedsinsError
from medsins.ledger import LEDGER_NAME
from medsins.plugins import catalog
from medsins.workfolder import LOCK_NAME, WorkFolderBusy, WorkLock, pid_alive, remove_leftovers


def _bypasses_permissions() -> bool:
    """Whether file modes do not bind this process (root with CAP_DAC_OVERRIDE)."""
    if os.geteuid() != 0:
        return False
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return True
    effective = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("CapEff:"))
    return bool(effective & (1 << 1))  # CAP_DAC_OVERRIDE


#: Root (with its usual capabilities): chmod cannot make a file or folder unusable to it.
ROOT = _bypasses_permissions()

# -- hand-made sources whose converter waits at a gate (to hold a build mid-convert) ---------

MANIFEST = """
id = "{id}"
name = "Gated corpus {id}"
homepage = "https://example.org/{id}"
citation = "Nobody (2026). A corpus for safe-operation tests."
license = "CC-BY-4.0"
license_url = "https://creativecommons.org/licenses/by/4.0/legalcode"
access = "open"
languages = ["en"]
text_source = "exam"
tasks = ["task57"]
synthetic_sample = false

[[raw_files]]
pattern = "items.jsonl"
"""

CONVERTER = """
import os
import time
from pathlib import Path

from medsins.formats import read_jsonl
from medsins.plugins import Source
from medsins.records import Example


class Converter(Source):
    def convert(self, raw_dir, report):
        gate = os.environ.get("MEDSINS_TEST_GATE")
        if gate:  # say "started, in this process", then wait for the test to open the gate
            Path(f"{gate}.{self.id}.{os.getpid()}").touch()
            deadline = time.monotonic() + 120
            while not os.path.exists(gate) and time.monotonic() < deadline:
                time.sleep(0.02)
        for path in self.files(raw_dir, "items.jsonl"):
            for where, row in read_jsonl(path, on_error=report):
                yield Example(origin=self.origin(path, where), **row)
"""

OPTIONS = ["A. Aspirin", "B. Heparin", "C. Warfarin", "D. Alteplase"]
QUESTIONS = {
    "zz_gate_a": [
        "A 60-year-old man has crushing chest pain and ST elevation in II, III and aVF. Which drug first?",
        "A woman with atrial fibrillation needs long-term stroke prevention. Which oral drug is classic?",
    ],
    "zz_gate_b": [
        "Within three hours of an ischaemic stroke, which thrombolytic drug is given intravenously?",
        "Which drug irreversibly inhibits cyclooxygenase and is given for secondary prevention of infarction?",
    ],
}


def write_gated_source(root: Path, source_id: str) -> None:
    folder = root / source_id
    (folder / "sample").mkdir(parents=True)
    (folder / "manifest.toml").write_text(MANIFEST.format(id=source_id), encoding="utf-8")
    (folder / "converter.py").write_text(textwrap.dedent(CONVERTER), encoding="utf-8")
    rows = [
        {"task_id": "task57", "split": "train", "input": q + "\n" + "\n".join(OPTIONS), "output": OPTIONS[i % 4],
         "options": OPTIONS, "raw_id": f"{source_id}-{i}"}
        for i, q in enumerate(QUESTIONS[source_id])
    ]
    (folder / "sample" / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def gated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Two gated sources on MEDSINS_SOURCE_PATH; returns the environment of a gated build."""
    root = tmp_path / "sources"
    for source_id in QUESTIONS:
        write_gated_source(root, source_id)
    monkeypatch.setenv("MEDSINS_SOURCE_PATH", str(root))
    catalog.cache_clear()
    yield {**os.environ, "MEDSINS_TEST_GATE": str(tmp_path / "gate")}
    catalog.cache_clear()


def medsins(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    """``medsins ARGS`` in a new process (its pid is the build's pid)."""
    return subprocess.Popen([sys.executable, "-m", "medsins.cli", *args], env=env, **kwargs)


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medsins.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def wait_for(predicate, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc is None or proc.poll() is None, f"the build ended early (exit {proc.returncode})"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def started(gate: str) -> list[int]:
    """Pids of the processes in which a gated converter waits."""
    gate_path = Path(gate)
    return sorted(int(p.name.rsplit(".", 1)[1]) for p in gate_path.parent.glob(gate_path.name + ".zz_gate_*.*"))


def tree_digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] not in "ZX":
            found.add(int(stat.parent.name))
    return found


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


def sample_options(tmp_path: Path, name: str = "release", **kwargs) -> BuildOptions:
    return BuildOptions(sources=("pubmedqa",), out=tmp_path / name, quiet=True, workers=1, **kwargs)


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("medsins: error: ") and "Traceback" not in err and "\x1b" not in err
    return lines[0]


# -- one build per work folder -----------------------------------------------------------------


def test_a_second_build_on_a_busy_work_folder_stops_at_once_and_the_first_is_unharmed(tmp_path, gated):
    work = tmp_path / "shared.work"
    common = ["build", "--sources", "zz_gate_a,pubmedqa", "--work", str(work), "--quiet", "--workers", "1"]
    first = medsins(*common, "--out", str(tmp_path / "first"), env=gated)
    try:
        wait_for(lambda: started(gated["MEDSINS_TEST_GATE"]), 60, first)  # holds the lock, mid-convert
        clock = time.monotonic()
        second = run(*common, "--out", str(tmp_path / "second"), env=gated)
        elapsed = time.monotonic() - clock
        Path(gated["MEDSINS_TEST_GATE"]).touch()
        assert first.wait(120) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert second.returncode == 1
    line = one_error_line(second.stderr)
    assert line.startswith(f"medsins: error: work folder {work} is in use by build pid {first.pid} "
                           f"on host {socket.gethostname()} since "), line
    assert elapsed < 5  # at once: no conversion (a lone build of these sources takes longer)
    assert not (tmp_path / "second").exists()
    assert not (work / LOCK_NAME).exists()  # released by the first build
    lone = run("build", "--sources", "zz_gate_a,pubmedqa", "--out", str(tmp_path / "lone"), "--quiet",
               "--workers", "1", env={k: v for k, v in gated.items() if k != "MEDSINS_TEST_GATE"})
    assert lone.returncode == 0, lone.stderr
    assert tree_digests(tmp_path / "first") == tree_digests(tmp_path / "lone")
    manifests = [json.loads((tmp_path / name / "manifest.json").read_text()) for name in ("first", "lone")]
    assert manifests[0]["files"] == manifests[1]["files"] and manifests[0]["files"]


def test_ctrl_c_releases_the_lock(tmp_path, gated):
    work = tmp_path / "release.work"
    proc = medsins("build", "--sources", "zz_gate_a", "--out", str(tmp_path / "release"), "--quiet",
                   "--workers", "1", env=gated, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: started(gated["MEDSINS_TEST_GATE"]), 60, proc)
        assert json.loads((work / LOCK_NAME).read_text())["pid"] == proc.pid
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and one_error_line(err) == "medsins: error: interrupted"
    assert not (work / LOCK_NAME).exists()


def test_a_stale_lock_of_a_dead_build_is_taken_over(tmp_path, monkeypatch):
    work = tmp_path / "release.work"
    work.mkdir()
    stale = {"pid": dead_pid(), "host": socket.gethostname(), "since": "2020-01-01T00:00:00+00:00"}
    (work / LOCK_NAME).write_text(json.dumps(stale))
    seen = []
    real = build_module.dedup_stage

    def spy(*args):  # runs while the build holds the lock
        seen.append(json.loads((work / LOCK_NAME).read_text()))
        return real(*args)

    monkeypatch.setattr(build_module, "dedup_stage", spy)
    result = build(sample_options(tmp_path))
    assert result.manifest.counts["total"].kept > 0
    assert seen and seen[0]["pid"] == os.getpid() and seen[0]["host"] == socket.gethostname()
    assert not (work / LOCK_NAME).exists()


def test_a_lock_from_another_host_is_not_broken_silently(tmp_path):
    work = tmp_path / "release.work"
    work.mkdir()
    foreign = json.dumps({"pid": 4242, "host": "elsewhere.example", "since": "2026-01-01T00:00:00+00:00"})
    (work / LOCK_NAME).write_text(foreign)
    with pytest.raises(WorkFolderBusy, match=r"locked by build pid 4242 on host elsewhere\.example .*another host"):
        build(sample_options(tmp_path))
    assert (work / LOCK_NAME).read_text() == foreign
    assert not (work / "convert").exists()


def test_a_held_lock_refuses_and_the_lock_goes_on_exception_and_interrupt(tmp_path, monkeypatch):
    options = sample_options(tmp_path)
    options.work_dir.mkdir()
    catalog()  # discovered once per process; not what is timed
    with WorkLock(options.work_dir):
        clock = time.monotonic()
        with pytest.raises(WorkFolderBusy, match=f"is in use by build pid {os.getpid()} on host "):
            build(options)
        assert time.monotonic() - clock < 1
    assert not (options.work_dir / LOCK_NAME).exists()
    for failure in (RuntimeError("boom"), KeyboardInterrupt()):
        def fail(*_args, failure=failure):
            raise failure

        monkeypatch.setattr("medsins.build.dedup_stage", fail)
        with pytest.raises(type(failure)):
            build(options)
        assert not (options.work_dir / LOCK_NAME).exists()
        with WorkLock(options.work_dir):  # free again
            pass


RACE = """
import os, sys, time
from pathlib import Path
from medsins.workfolder import WorkFolderBusy, WorkLock
work, start, racers = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[4])
if sys.argv[3] == "no-link":  # a file system without hard links
    def no_link(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")
    os.link = no_link
time.sleep(max(0.0, start - time.time()))
try:
    with WorkLock(work):
        (work / "winners").open("a").write(f"{os.getpid()}\\n")
        # Hold the lock until every other racer has tried (a loaded machine may start one late).
        deadline = time.time() + 60
        while time.time() < deadline and len((work.parent / "refused").read_text().split()) < racers - 1:
            time.sleep(0.05)
except WorkFolderBusy as exc:
    print(exc)
    with (work.parent / "refused").open("a") as refused:
        refused.write(f"{os.getpid()}\\n")
"""


@pytest.mark.parametrize("link", ["link", "no-link"])
@pytest.mark.parametrize("stale", [False, True])
def test_of_many_builds_racing_for_a_work_folder_exactly_one_wins(tmp_path, link, stale):
    work = tmp_path / "work"
    work.mkdir()
    if stale:
        (work / LOCK_NAME).write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname(), "since": "x"}))
    (tmp_path / "refused").write_text("")
    start = time.time() + 1.0  # all racers import first, then go at once
    racers = [subprocess.Popen([sys.executable, "-c", RACE, str(work), str(start), link, "6"],
                               stdout=subprocess.PIPE, text=True) for _ in range(6)]
    refusals = [racer.communicate(timeout=60)[0] for racer in racers]
    winners = (work / "winners").read_text().split()
    assert len(winners) == 1 and int(winners[0]) in {racer.pid for racer in racers}
    refused = [r for r in refusals if r]
    assert len(refused) == 5
    for refusal in refused:  # each names the winner, never the dead holder
        assert refusal.startswith(f"work folder {work} is in use by build pid {winners[0]} on host "), refusal
    assert sorted(p.name for p in work.iterdir()) == ["winners"]  # lock gone, no temporary left


# -- workers die with the build ---------------------------------------------------------------


def test_workers_die_within_seconds_of_a_kill_9_of_the_build(tmp_path, gated):
    proc = medsins("build", "--sources", "zz_gate_a,zz_gate_b", "--out", str(tmp_path / "release"), "--quiet",
                   "--workers", "2", env=gated)
    workers: set[int] = set()
    try:
        wait_for(lambda: len(started(gated["MEDSINS_TEST_GATE"])) == 2, 60, proc)  # both converting
        workers = children(proc.pid)
        assert set(started(gated["MEDSINS_TEST_GATE"])) <= workers  # they run in the build's own children
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while any(pid_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if pid_alive(pid)]
    finally:
        for pid in workers:  # never leave a test's process behind, even when the test fails
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_worker_whose_build_died_before_its_initializer_exits_at_once():
    # The pid given is not this process's parent (it is dead): the build is already gone.
    code = "import sys, time; from medsins.workfolder import bind_to_parent; bind_to_parent(int(sys.argv[1])); " \
        "time.sleep(30)"
    clock = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, str(dead_pid())], timeout=30)
    assert proc.returncode == 1 and time.monotonic() - clock < 10


# -- paths checked first, clean errors ---------------------------------------------------------


def test_an_out_that_is_a_file_is_refused_in_under_a_second_before_any_conversion(tmp_path):
    out = tmp_path / "release"
    out.write_text("not a folder")
    clock = time.monotonic()
    with pytest.raises(MedsinsError, match="is a file, not a release folder"):
        build(BuildOptions(out=out, quiet=True))  # every source: a conversion would take many seconds
    assert time.monotonic() - clock < 1
    cli = run("build", "--out", str(out), "--quiet")
    assert cli.returncode == 1
    assert one_error_line(cli.stderr) == f"medsins: error: --out {out}: is a file, not a release folder"
    assert not (tmp_path / "release.work").exists() and not list(tmp_path.rglob("convert"))
    assert out.read_text() == "not a folder"


def unlistable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot list (chmod 000, or one /proc refuses even to root)."""
    if not ROOT:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0)
        return folder
    for candidate in ("/proc/1/map_files", "/proc/1/fd"):
        try:
            os.listdir(candidate)
        except PermissionError:
            return Path(candidate)
        except OSError:
            continue
    pytest.skip("root here can list every folder tried")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("out-file", "--out {out}: is a file, not a release folder"),
        ("out-under-file", "--out {t}/file/release: {t}/file is not a folder"),
        ("out-under-proc", "--out /proc/medsins-test/release: cannot create anything in /proc: "),
        ("out-not-a-release", "--out {out}: exists and is not a release folder (no manifest.json); not replacing it"),
        ("work-file", "--work {t}/file: is a file, not a folder"),
        ("work-in-out", "--work {out}/work: is inside the release folder {out}, which each build replaces"),
        ("work-under-proc", "--work /proc/medsins-test/work: cannot create anything in /proc: "),
        ("raw-root-file", "--raw-root {t}/file: not a folder"),
        ("raw-root-unlistable", "--raw-root {locked}: cannot list: Permission denied"),
        ("raw-source-unlistable", "source pubmedqa: {t}/raw/pubmedqa: cannot list: Permission denied"),
        ("instructions-missing", "--instructions {t}/missing.json: not a file"),
        ("instructions-folder", "--instructions {t}: not a file"),
    ],
)
def test_bad_paths_are_one_line_before_any_work(tmp_path, capsys, case, expected):
    out = tmp_path / "release"
    (tmp_path / "file").write_text("x")
    args = {"--out": str(out)}
    locked = ""
    if case.endswith("unlistable"):
        locked = str(unlistable_folder(tmp_path))
    match case:
        case "out-file":
            out.write_text("x")
        case "out-under-file":
            args["--out"] = str(tmp_path / "file" / "release")
        case "out-under-proc":
            args["--out"] = "/proc/medsins-test/release"
        case "out-not-a-release":
            out.mkdir()
            (out / "notes.txt").write_text("keep me")
        case "work-file":
            args["--work"] = str(tmp_path / "file")
        case "work-in-out":
            args["--work"] = str(out / "work")
        case "work-under-proc":
            args["--work"] = "/proc/medsins-test/work"
        case "raw-root-file":
            args["--raw-root"] = str(tmp_path / "file")
        case "raw-root-unlistable":
            args["--raw-root"] = locked
        case "raw-source-unlistable":
            (tmp_path / "raw").mkdir()
            (tmp_path / "raw" / "pubmedqa").symlink_to(locked, target_is_directory=True)
            args["--raw-root"] = str(tmp_path / "raw")
        case "instructions-missing":
            args["--instructions"] = str(tmp_path / "missing.json")
        case "instructions-folder":
            args["--instructions"] = str(tmp_path)
    argv = ["build", "--sources", "pubmedqa", "--quiet", "--workers", "1"]
    for flag, value in args.items():
        argv += [flag, value]
    assert main(argv) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("medsins: error: " + expected.format(t=tmp_path, out=out, locked=locked)), line
    assert not list(tmp_path.rglob("convert")) and not (tmp_path / "release.work").exists()
    if case == "out-not-a-release":
        assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.skipif(ROOT, reason="root writes into read-only folders")
def test_a_read_only_parent_of_out_is_refused_before_any_work(tmp_path, capsys):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        assert main(["build", "--sources", "pubmedqa", "--quiet", "--out", str(parent / "release"),
                     "--work", str(tmp_path / "w")]) == 1
    finally:
        parent.chmod(0o755)
    line = one_error_line(capsys.readouterr().err)
    assert line == f"medsins: error: --out {parent}/release: cannot create anything in {parent}: Permission denied"
    assert not (tmp_path / "w").exists()


@pytest.mark.skipif(ROOT, reason="root reads files whatever their mode")
def test_an_unreadable_raw_file_is_one_line_naming_it(tmp_path, capsys):
    raw = tmp_path / "raw" / "pubmedqa"
    raw.mkdir(parents=True)
    sample = catalog().get("pubmedqa").sample_dir
    for path in sample.rglob("*"):
        if path.is_file():
            target = raw / path.relative_to(sample)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
            target.chmod(0)
    assert main(["build", "--raw-root", str(tmp_path / "raw"), "--sources", "pubmedqa", "--quiet",
                 "--out", str(tmp_path / "release")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"medsins: error: {raw}/") and line.endswith(": Permission denied"), line


def test_a_raw_file_that_fails_to_read_is_one_line_naming_the_source(tmp_path, monkeypatch, capsys):
    def failing_read(path):  # what reading a file on a failing disk raises: no file name
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("medsins.pipeline.convert.sha256_file", failing_read)
    argv = ["build", "--sources", "pubmedqa", "--quiet", "--workers", "1", "--out", str(tmp_path / "release")]
    assert main(argv) == 1
    sample = catalog().get("pubmedqa").sample_dir
    assert one_error_line(capsys.readouterr().err) == f"medsins: error: convert pubmedqa ({sample}): Input/output error"
    assert not (tmp_path / "release.work" / LOCK_NAME).exists()


def test_a_full_disk_is_one_line_naming_the_folders(tmp_path):
    work = tmp_path / "release.work"
    work.mkdir()
    (work / (LEDGER_NAME + ".tmp")).symlink_to("/dev/full")  # every write there: ENOSPC, even for root
    cli = run("build", "--sources", "pubmedqa", "--out", str(tmp_path / "release"), "--quiet", "--workers", "1")
    assert cli.returncode == 1
    line = one_error_line(cli.stderr)
    assert line.startswith(f"medsins: error: {tmp_path}/release (work folder {work}): ") and line.endswith(
        "No space left on device"), line
    assert not (work / LOCK_NAME).exists() and not (tmp_path / "release").exists()


def test_an_os_error_is_one_line_with_its_paths(monkeypatch, capsys):
    def rename_fails(args):
        raise PermissionError(13, "Permission denied", "/data/a\x1b[2Jb", None, "/data/c")

    monkeypatch.setattr("medsins.commands.build.run", rename_fails)
    assert main(["build"]) == 1
    assert one_error_line(capsys.readouterr().err) == r"medsins: error: /data/a\x1b[2Jb -> /data/c: Permission denied"


# -- leftovers of killed builds -----------------------------------------------------------------


def test_leftovers_of_dead_builds_are_removed_and_those_of_live_ones_kept(tmp_path):
    dead, live = dead_pid(), os.getppid()
    leftovers = [tmp_path / f".release.partial-{dead}", tmp_path / f".release.old-{dead}"]
    for folder in leftovers:
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "shard.parquet").write_bytes(b"PAR1")
        (folder / "data").chmod(0o555)  # as a read-only release would be
    alive = tmp_path / f".release.partial-{live}"
    alive.mkdir()
    other = tmp_path / f".other.partial-{dead}"  # another release's: not ours to judge
    other.mkdir()
    result = build(sample_options(tmp_path))
    assert result.release.is_dir()
    assert not any(folder.exists() for folder in leftovers)
    assert alive.is_dir() and other.is_dir()


def test_a_release_moved_aside_by_a_killed_build_is_put_back(tmp_path):
    old = tmp_path / f".release.old-{dead_pid()}"
    old.mkdir()
    (old / "manifest.json").write_text("{}")
    partial = tmp_path / f".release.partial-{old.name.rsplit('-', 1)[1]}"
    partial.mkdir()
    assert sorted(remove_leftovers(tmp_path / "release")) == sorted([old, partial])
    assert (tmp_path / "release" / "manifest.json").read_text() == "{}"
    assert not old.exists() and not partial.exists()


STALL_IN_RELEASE = """
import sys, time
from pathlib import Path
import medsins.release.writer as writer
from medsins.cli import main
real = writer.write_shards
def stalled(*args, **kwargs):
    shards = real(*args, **kwargs)
    Path(sys.argv[1]).touch()
    time.sleep(120)  # the test kills the build here, mid-release
    return shards
writer.write_shards = stalled
sys.exit(main(sys.argv[2:]))
"""


def test_a_build_killed_during_the_release_stage_leaves_nothing_after_the_next_build(tmp_path):
    out = tmp_path / "release"
    args = ["build", "--sources", "pubmedqa", "--out", str(out), "--quiet", "--workers", "1"]
    marker = tmp_path / "in-release"
    proc = subprocess.Popen([sys.executable, "-c", STALL_IN_RELEASE, str(marker), *args])
    try:
        wait_for(marker.exists, 60, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (tmp_path / f".release.partial-{proc.pid}").is_dir() and not out.exists()
    rerun = run(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".release")) == []


@pytest.mark.skipif(ROOT, reason="root removes read-only folders anyway")
def test_replacing_a_read_only_release_leaves_no_old_folder(tmp_path):
    options = sample_options(tmp_path)
    build(options)
    for folder in [options.out, *(p for p in options.out.rglob("*") if p.is_dir())]:
        folder.chmod(0o555)
    build(options)
    assert (options.out / "manifest.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".release")] == []


# -- messages never act on the terminal ------------------------------------------------------


def test_printable_escapes_control_characters_and_keeps_other_text():
    assert printable("a\x1b[31mb\nc\td\x7f\x9b\u202e é 中") == "a\\x1b[31mb\\nc\\td\\x7f\\x9b\\u202e é 中"


def test_a_file_name_with_escape_and_newline_is_printed_escaped(tmp_path, capsys):
    out = tmp_path / "évil\x1b[31m中\nname"
    out.write_text("x")
    assert main(["build", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    line = one_error_line(err)
    assert line == f"medsins: error: --out {tmp_path}/évil\\x1b[31m中\\nname: is a file, not a release folder"


def test_warnings_are_printed_escaped(monkeypatch, capsys):
    import logging

    def warn(args):
        warnings.warn("file a\x1b]0;pwned\x07b could not be removed", stacklevel=1)
        logging.getLogger("medsins.push").warning("%s: transient error", "repo\nfake line")
        return 0

    monkeypatch.setattr("medsins.commands.build.run", warn)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["build"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "medsins: warning: file a\\x1b]0;pwned\\x07b could not be removed",
        "medsins: warning: repo\\nfake line: transient error",
    ]
