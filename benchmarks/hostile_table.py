"""Regenerate docs/hostile-input.md: what medsins does with hostile input, measured.

Each case builds a hostile input in a scratch folder (bombs at full size: this
takes a minute and ~20 MB of disk), runs the real ``medsins`` command in a child
process, and records its exit code, the first line it printed on stderr,
whether a traceback appeared, the records it kept and its peak RSS (from
``wait4``). Run from the repository root::

    .venv/bin/python benchmarks/hostile_table.py            # writes docs/hostile-input.md
    .venv/bin/python benchmarks/hostile_table.py --print    # prints the table only

Reads ../shared/realdata in place for the cases built on real files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
import hostile_inputs as hostile  # noqa: E402  (the builders the tests use)

REALDATA = REPO.parent / "shared" / "realdata"
MiB = 1 << 20


@dataclass
class Outcome:
    """What one run of the command did."""

    exit: int
    message: str
    traceback: bool
    kept: str
    rss: int  # bytes
    seconds: float


def run(args: list[str], out: Path | None = None, cwd: Path | None = None) -> Outcome:
    """Run ``medsins ARGS`` and measure it (peak RSS of the child via wait4)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "medsins.cli", *args], stdout=subprocess.DEVNULL,
                                stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    seconds = time.perf_counter() - start
    lines = [line for line in stderr.splitlines() if line.strip()]
    # The first error or warning; for a clean run, its closing summary line.
    first = next((line for line in lines if "error" in line or "warning" in line), lines[-1] if lines else "")
    kept = str(sum(1 for _ in out.open(encoding="utf-8"))) if out is not None and out.exists() else "-"
    return Outcome(proc.returncode, first, "Traceback" in stderr, kept, usage.ru_maxrss * 1024, seconds)


def _chatdoctor(folder: Path, data: bytes) -> Path:
    raw = folder / "chatdoctor"
    raw.mkdir()
    (raw / "chatdoctor5k.json").write_bytes(data)
    return raw


def deep(depth: int) -> Callable[[Path], tuple[list[str], Path]]:
    def case(folder: Path) -> tuple[list[str], Path]:
        raw = _chatdoctor(folder, b"[" * depth + b"]" * depth)
        return ["convert", "chatdoctor", "--raw", str(raw), "--out", str(folder / "out.jsonl")], folder / "out.jsonl"
    return case


def bom(folder: Path) -> tuple[list[str], Path]:
    raw = _chatdoctor(folder, b"\xef\xbb\xbf" + (REALDATA / "chatdoctor" / "chatdoctor5k.json").read_bytes())
    return ["convert", "chatdoctor", "--raw", str(raw), "--out", str(folder / "out.jsonl")], folder / "out.jsonl"


def xlsx_cell(folder: Path) -> tuple[list[str], Path]:
    raw = folder / "medicationqa"
    raw.mkdir()
    hostile.xlsx_cell_bomb(raw / "MedInfo2019-QA-Medications.xlsx", 3 << 30)
    return ["convert", "medicationqa", "--raw", str(raw), "--out", str(folder / "out.jsonl")], folder / "out.jsonl"


def xlsx_strings(folder: Path) -> tuple[list[str], Path]:
    raw = folder / "medicationqa"
    raw.mkdir()
    hostile.xlsx_shared_strings_bomb(raw / "MedInfo2019-QA-Medications.xlsx", 4 << 30)
    return ["convert", "medicationqa", "--raw", str(raw), "--out", str(folder / "out.jsonl")], folder / "out.jsonl"


def gzip_csv(folder: Path) -> tuple[list[str], Path]:
    raw = folder / "mimic_iv_note"
    raw.mkdir()
    hostile.gzip_bomb(raw / "radiology.csv.gz", 4 << 30)
    shutil.copy(REPO / "sources" / "mimic_iv_note" / "sample" / "note" / "discharge.csv", raw / "discharge.csv")
    return ["convert", "mimic_iv_note", "--raw", str(raw), "--out", str(folder / "out.jsonl")], folder / "out.jsonl"


def nul_row(folder: Path) -> tuple[list[str], Path]:
    raw = folder / "icd10cm"
    raw.mkdir()
    lines = (REALDATA / "icd10cm" / "categories.csv").read_bytes().splitlines(keepends=True)
    lines[4] = lines[4][:3] + b"\x00" + lines[4][3:]
    (raw / "categories.csv").write_bytes(b"".join(lines))
    return ["convert", "icd10cm", "--raw", str(raw), "--out", str(folder / "out.jsonl")], folder / "out.jsonl"


def symlink_out(folder: Path) -> tuple[list[str], Path]:
    raw = folder / "medqa"
    raw.mkdir()
    (raw / "test.jsonl").symlink_to(REALDATA / "medqa" / "test.jsonl")
    shutil.copy(REALDATA / "medqa" / "test.jsonl", raw / "dev.jsonl")
    return ["convert", "medqa", "--raw", str(raw), "--out", str(folder / "out.jsonl")], folder / "out.jsonl"


def escape_name(folder: Path) -> tuple[list[str], Path]:
    raw = folder / "medqa"
    raw.mkdir()
    folder = raw / "sub\x1b[2J\nmedsins: ok: forged"  # a line that would clear the screen and forge output
    folder.mkdir()
    (folder / "test.jsonl").write_bytes(b'{"question": 1\n' + _head(REALDATA / "medqa" / "test.jsonl", 2))
    return ["convert", "medqa", "--raw", str(raw), "--out", str(folder / "out.jsonl")], folder / "out.jsonl"


def _head(path: Path, lines: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:lines])


def huge_prediction(folder: Path) -> tuple[list[str], Path | None]:
    path = folder / "model.csv"
    with path.open("wb") as out:
        out.write(b'task_id,input,GT,output\ntask1,q1,A,A\ntask1,q2,B,"')
        block = b"lorem ipsum " * (MiB // 12)
        for _ in range(60):
            out.write(block)
        out.write(b'"\ntask1,q3,C,C\n')
    return ["bench", "score", str(path), "--references", "gt", "--bootstrap", "0"], None


def utf16_predictions(folder: Path) -> tuple[list[str], Path | None]:
    path = folder / "model.csv"
    path.write_bytes("task_id,input,GT,output\ntask1,q1,A,A\ntask1,q2,B,C\n".encode("utf-16-le"))
    return ["bench", "score", str(path), "--references", "gt", "--bootstrap", "0"], None


def out_is_a_file(folder: Path) -> tuple[list[str], Path | None]:
    (folder / "release").write_text("not a folder")
    return ["build", "--out", str(folder / "release"), "--sources", "medqa", "--quiet"], None


def work_is_a_file(folder: Path) -> tuple[list[str], Path | None]:
    (folder / "work").write_text("not a folder")
    return ["build", "--out", str(folder / "release"), "--work", str(folder / "work"), "--sources", "medqa",
            "--quiet"], None


def out_under_proc(folder: Path) -> tuple[list[str], Path | None]:
    return ["build", "--out", "/proc/medsins/release", "--sources", "medqa", "--quiet"], None


CASES: list[tuple[str, Callable[[Path], tuple[list[str], Path | None]]]] = [
    ("`chatdoctor5k.json` = 20,001 `[` then `]` (40 KB)", deep(20_001)),
    ("the same, 50,001 deep (100 KB)", deep(50_001)),
    ("the same, 1,000,001 deep (2 MB)", deep(1_000_001)),
    ("`.xlsx` whose one cell expands to 3 GiB (zip bomb)", xlsx_cell),
    ("`.xlsx` whose sharedStrings expand to 4 GiB", xlsx_strings),
    ("`radiology.csv.gz` expanding to 4 GiB of one line (gzip bomb)", gzip_csv),
    ("one 60 MB prediction cell in a `bench score` CSV", huge_prediction),
    ("UTF-16 predictions file without BOM", utf16_predictions),
    ("UTF-8 BOM before the streamed `chatdoctor5k.json` (real slice, 100 items)", bom),
    ("a CSV row with an embedded NUL (real `categories.csv`)", nul_row),
    ("a raw file that is a symlink out of the raw folder (beside a real copy)", symlink_out),
    ("a raw folder name holding ESC, a newline and a forged line", escape_name),
    ("`--out` naming an existing file", out_is_a_file),
    ("`--work` naming an existing file", work_is_a_file),
    ("`--out` where no folder can be made (/proc)", out_under_proc),
]


def concurrent_builds(folder: Path) -> str:
    """Two builds on one work folder: what the second says, and whether the first completes."""
    args = [sys.executable, "-m", "medsins.cli", "build", "--raw-root", str(REALDATA), "--out",
            str(folder / "release"), "--quiet", "--workers", "1"]
    first = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lock = folder / "release.work" / "lock"
    deadline = time.time() + 30
    while not lock.exists() and first.poll() is None and time.time() < deadline:
        time.sleep(0.05)  # the second build starts once the first holds the work folder
    start = time.perf_counter()
    second = subprocess.run(args, capture_output=True, text=True)
    took = time.perf_counter() - start
    first.wait()
    line = second.stderr.strip().splitlines()[0] if second.stderr.strip() else ""
    return (f"second build: exit {second.returncode} after {took:.1f} s, `{line}`; "
            f"first build: exit {first.returncode}")


def kill_build(folder: Path) -> str:
    """kill -9 of a two-worker build: worker processes alive 5 s later."""
    proc = subprocess.Popen([sys.executable, "-m", "medsins.cli", "build", "--raw-root", str(REALDATA), "--out",
                             str(folder / "release"), "--quiet", "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2:
        workers |= _children(proc.pid)
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(5)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"]
    return f"{len(workers)} worker(s) seen; alive 5 s after kill -9 of the build: {len(alive)}"


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found |= {int(p) for p in task.read_text().split()}
    return found


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def table() -> str:
    rows = ["| hostile input | command | exit | first error or warning on stderr (else its last line) | traceback "
            "| records kept | peak RSS | time |",
            "|---|---|---|---|---|---|---|---|"]
    for label, make in CASES:
        with tempfile.TemporaryDirectory(prefix="medsins-hostile-") as scratch:
            folder = Path(scratch)
            args, out = make(folder)
            outcome = run(args, out)
            shown = " ".join(a if not a.startswith(scratch) else "…" + a[len(scratch):] for a in args[:3])
            message = outcome.message.replace(scratch, "…").replace("|", "\\|")
            if len(message) > 220:
                message = message[:217] + "..."
            rows.append(f"| {label} | `medsins {shown} …` | {outcome.exit} | {message} | "
                        f"{'yes' if outcome.traceback else 'no'} | {outcome.kept} | "
                        f"{outcome.rss / MiB:.0f} MiB | {outcome.seconds:.1f} s |")
            print(rows[-1], file=sys.stderr)
    lines = ["", "Operations:", ""]
    for label, probe in (("two `medsins build` on one work folder", concurrent_builds),
                         ("kill -9 of `medsins build --workers 2`", kill_build)):
        with tempfile.TemporaryDirectory(prefix="medsins-hostile-") as scratch:
            lines.append(f"- {label}: {probe(Path(scratch)).replace(scratch, '…')}")
            print(lines[-1], file=sys.stderr)
    return "\n".join(rows + lines) + "\n"


HEADER = """# Hostile input: what medsins does with it

Generated by `benchmarks/hostile_table.py` on {day} ({python}, 2-core machine); rerun it to
regenerate this page. Each row built the input in a scratch folder and ran the real command
in a child process; peak RSS is the child's (`wait4`). Limits are the defaults of
`medsins.limits.Limits` (raise one with `--limit NAME=VALUE`).

"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the table instead of writing the docs page")
    args = parser.parse_args()
    body = table()
    page = HEADER.format(day=date.today().isoformat(), python=f"Python {sys.version.split()[0]}") + body
    if args.print:
        print(page)
    else:
        (REPO / "docs" / "hostile-input.md").write_text(page, encoding="utf-8")
        print(f"wrote {REPO / 'docs' / 'hostile-input.md'}")


if __name__ == "__main__":
    main()
