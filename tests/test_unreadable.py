"""One bad byte in a real raw file loses at most its line or block, says so, and stops the build.

Files of ../shared/fullcorpora are copied to tmp_path with one invalid UTF-8 byte
in the middle of a line; the source is converted again and compared with the
clean conversion.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from medsins.build import BuildOptions, IncompleteInputError, build
from medsins.convert import convert_source
from medsins.plugins import catalog
from medsins.records import Record
from medsins.release.manifest import read_manifest
from medsins.stages.license import Profile

#: (source, file, format): one file per line- or block-oriented format.
CASES = [
    ("medqa", "test.jsonl", "jsonl"),
    ("ncbi_disease", "NCBItestset_corpus.txt", "pubtator"),
    ("jnlpba", "Genia4EReval1.iob2", "iob"),
    ("icd10cm", "categories.csv", "csv"),
    ("rumedbench", "RuMedDaNet_dev_v1.jsonl", "jsonl"),
]


def damage(raw: Path, name: str, target: Path, line: int) -> Path:
    """A copy of ``raw`` with one 0xFF byte in the middle of ``line`` of ``name``."""
    shutil.copytree(raw, target)
    path = target / name
    lines = path.read_bytes().split(b"\n")
    middle = len(lines[line - 1]) // 2
    lines[line - 1] = lines[line - 1][:middle] + b"\xff" + lines[line - 1][middle + 1:]
    path.write_bytes(b"\n".join(lines))
    return target


def convert(source: str, raw: Path) -> tuple[list[Record], list]:
    found = catalog()
    items = list(convert_source(found.get(source), raw, found.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if not isinstance(i, Record)]


@pytest.mark.parametrize(("source", "name", "fmt"), CASES)
def test_one_bad_byte_loses_at_most_its_line_or_block(fullcorpora, tmp_path, source, name, fmt):
    clean, clean_rejects = convert(source, fullcorpora / source)
    line = sum(1 for _ in (fullcorpora / source / name).open(encoding="utf-8")) // 2
    while not (fullcorpora / source / name).read_text(encoding="utf-8").splitlines()[line - 1].strip():
        line += 1  # a blank line has no middle
    records, rejects = convert(source, damage(fullcorpora / source, name, tmp_path / source, line))
    unreadable = [r for r in rejects if r.unreadable]
    assert len(unreadable) == 1, unreadable
    assert unreadable[0].origin.startswith(name) and "not valid" in unreadable[0].reason
    lost = {r.origin for r in clean} - {r.origin for r in records}
    if fmt in ("jsonl", "csv"):
        assert lost == {f"{name}, line {line}"} or not lost  # the damaged line, if it held an item
        assert unreadable[0].origin == f"{name}, line {line}"
    else:  # the damaged block (document or sentence) and nothing else
        assert lost, "the damaged block must not be converted from what is left of it"
        blocks = {o.split(" (PMID")[0].split(", sentence")[0] for o in lost}
        assert len(blocks) == 1, blocks
        start = int(blocks.pop().rpartition("line ")[2].split()[0])
        assert start <= line
    # Only records of the damaged item are missing (a line may feed several tasks).
    assert {r.id for r in clean} - {r.id for r in records} == {r.id for r in clean if r.origin in lost}
    assert len(rejects) == len(clean_rejects) + 1


def test_a_truncated_json_array_reports_how_far_it_got_and_later_files_are_read(fullcorpora, tmp_path):
    raw = tmp_path / "frenchmedmcqa"
    shutil.copytree(fullcorpora / "frenchmedmcqa", raw)
    data = (raw / "dev.json").read_bytes()
    (raw / "dev.json").write_bytes(data[: len(data) // 2])  # dev.json is read before test.json and train.json
    clean, _ = convert("frenchmedmcqa", fullcorpora / "frenchmedmcqa")
    records, rejects = convert("frenchmedmcqa", raw)
    [spot] = [r for r in rejects if r.unreadable]
    assert spot.origin.startswith("dev.json, after record ")
    assert spot.reason.endswith("the rest of the file was not read")
    later = [r for r in clean if not r.origin.startswith("dev.json")]
    assert [r.id for r in records if not r.origin.startswith("dev.json")] == [r.id for r in later]


def test_incomplete_input_stops_the_build_unless_allowed(fullcorpora, tmp_path):
    raw_root = tmp_path / "raw"
    damage(fullcorpora / "medqa", "test.jsonl", raw_root / "medqa", 75)
    options = dict(raw_root=raw_root, profile=Profile.LOCAL, quiet=True, language_filter=False)
    with pytest.raises(IncompleteInputError) as info:
        build(BuildOptions(out=tmp_path / "release", **options))
    assert "medqa: 1 (test.jsonl, line 75: not valid UTF-8 text" in str(info.value)
    assert not (tmp_path / "release").exists()
    # The command line: one line naming the file and place, exit 1, no traceback.
    cli = subprocess.run(
        [sys.executable, "-m", "medsins.cli", "build", "--raw-root", str(raw_root), "--out", str(tmp_path / "r2"),
         "--profile", "local", "--no-language-filter", "--quiet"],
        capture_output=True, text=True, check=False,
    )
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert "test.jsonl, line 75" in cli.stderr and "--allow-incomplete" in cli.stderr
    result = build(BuildOptions(out=tmp_path / "release", allow_incomplete=True, **options))
    manifest = read_manifest(result.release)
    assert manifest.counts["medqa"].unreadable == 1
    assert manifest.counts["medqa"].entered == 1272  # 1,273 questions, one unread
    assert manifest.unreadable == {"medqa": ["test.jsonl, line 75: not valid UTF-8 text (invalid start byte)"]}
    card = (result.release / "README.md").read_text(encoding="utf-8")
    assert "### Incomplete input" in card and "test.jsonl, line 75" in card
