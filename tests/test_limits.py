"""Hostile raw files cost one clear rejection within the reader limits, never the machine.

Real files of ../shared/realdata are mixed with hostile items (nesting, zip and
gzip bombs, endless lines, NUL bytes, BOMs, links out of the raw folder); every
legal item around them must still be converted. Bombs are built at full size
where that is cheap, else smaller under proportionally lowered limits.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import hostile_inputs as hostile
import pytest

from medsins import limits
from medsins.bench.predictions import read_prediction_file
from medsins.convert import convert_source
from medsins.errors import InputError, MedsinsError, UnreadableError
from medsins.formats import iter_json_array, iter_xml, read_json, read_jsonl, read_xlsx, stream_csv
from medsins.formats.csvfile import read_csv
from medsins.limits import Limits, applied
from medsins.plugins import catalog
from medsins.records import Record

MiB = 1 << 20


def convert(source: str, raw: Path) -> tuple[list[Record], list]:
    found = catalog()
    items = list(convert_source(found.get(source), raw, found.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if not isinstance(i, Record)]


def medsins(*args: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, int]:
    """Run the CLI in a child process; return it and that child's own peak RSS in bytes.

    ``wait4`` gives the rusage of this one child (RUSAGE_CHILDREN would give the
    largest of every child the test process ever waited for, Ray workers included).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([sys.executable, "-m", "medsins.cli", *args], stdout=out, stderr=err, cwd=cwd)
        watchdog = threading.Timer(300, child.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            watchdog.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(child.args, child.returncode, out.read().decode("utf-8", "replace"),
                                           err.read().decode("utf-8", "replace"))
    return proc, usage.ru_maxrss * 1024


# -- the limits themselves ----------------------------------------------------------


def test_limits_parse_sizes_and_names():
    parsed = limits.parse(["item=256MiB", "depth=500", "ratio=50", "shared-strings=1g", "max_file_bytes=10k"])
    assert parsed.max_item_bytes == 256 * MiB
    assert parsed.max_depth == 500 and parsed.max_ratio == 50
    assert parsed.max_shared_strings_bytes == 1 << 30 and parsed.max_file_bytes == 10 << 10
    assert parsed.max_member_bytes == Limits().max_member_bytes  # untouched
    for bad in ("item", "item=", "item=-1", "item=12 parsecs", "colour=red"):
        with pytest.raises(MedsinsError, match="--limit"):
            limits.parse([bad])


def test_applied_limits_are_scoped():
    assert limits.current() == Limits()
    with applied(Limits(max_depth=5)):
        assert limits.current().max_depth == 5
    assert limits.current() == Limits()


# -- JSON -----------------------------------------------------------------------------


def test_deep_nesting_in_a_real_json_array_costs_one_item(realdata, tmp_path):
    raw = tmp_path / "chatdoctor"
    raw.mkdir()
    items = json.loads((realdata / "chatdoctor" / "chatdoctor5k.json").read_bytes())
    text = json.dumps(items[:10])
    deep = "[" * 20_001 + "]" * 20_001
    (raw / "chatdoctor5k.json").write_text(text[:-1] + ", " + deep + ", " + text[1:], encoding="utf-8")
    records, rejects = convert("chatdoctor", raw)
    clean, _ = convert("chatdoctor", _only(realdata / "chatdoctor", tmp_path / "clean", items[:10]))
    assert len(records) == 2 * len(clean)  # the ten items before and the ten after
    assert [r.reason for r in rejects] == [
        "JSON nested beyond the 200 levels limit (raise it with --limit depth=...)"
    ]
    assert rejects[0].origin == "chatdoctor5k.json, record 11" and not rejects[0].unreadable


def _only(real: Path, target: Path, items: list) -> Path:
    target.mkdir()
    (target / "chatdoctor5k.json").write_text(json.dumps(items), encoding="utf-8")
    return target


@pytest.mark.parametrize("depth", [20_001, 50_001])
def test_deep_nesting_outside_any_item_ends_the_file_in_flat_memory(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_bytes(b'{"a": ' * depth + b"1" + b"}" * depth)  # never reaches an item of "item"
    problems: list[InputError] = []
    assert list(iter_json_array(path, on_error=problems.append)) == []
    assert len(problems) == 1 and isinstance(problems[0], UnreadableError)
    assert "nested beyond the 200 levels limit" in problems[0].problem


def test_a_json_item_beyond_the_item_limit_is_refused_as_it_streams(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"q": "a"}, {"q": "x" * (3 * MiB)}, {"q": "b"}]), encoding="utf-8")
    problems: list[InputError] = []
    with applied(Limits(max_item_bytes=1 * MiB)):
        items = list(iter_json_array(path, on_error=problems.append))
    assert items == [("record 1", {"q": "a"})]
    assert len(problems) == 1 and "an item beyond the 1 MiB limit" in problems[0].problem
    assert "--limit item=" in problems[0].problem


def test_a_bom_before_a_streamed_json_array_is_accepted(realdata, tmp_path):
    raw = tmp_path / "chatdoctor"
    raw.mkdir()
    data = (realdata / "chatdoctor" / "chatdoctor5k.json").read_bytes()
    (raw / "chatdoctor5k.json").write_bytes(b"\xef\xbb\xbf" + data)
    records, rejects = convert("chatdoctor", raw)
    clean, clean_rejects = convert("chatdoctor", realdata / "chatdoctor")
    assert len(records) == len(clean) > 0 and len(rejects) == len(clean_rejects)


def test_a_line_beyond_the_item_limit_is_skipped_and_the_rest_read(realdata, tmp_path):
    lines = (realdata / "medqa").glob("*.jsonl")
    source = sorted(lines)[0]
    real = source.read_bytes().splitlines(keepends=True)
    path = tmp_path / source.name
    with path.open("wb") as out:
        out.writelines(real[:3])
        out.write(b'{"question": "' + b"A" * (3 * MiB) + b'"}\n')
        out.writelines(real[3:6])
    problems: list[InputError] = []
    with applied(Limits(max_item_bytes=1 * MiB)):
        read = list(read_jsonl(path, on_error=problems.append))
    assert [where for where, _ in read] == ["line 1", "line 2", "line 3", "line 5", "line 6", "line 7"]
    assert [(p.where, isinstance(p, UnreadableError)) for p in problems] == [("line 4", True)]


def test_a_file_read_whole_beyond_the_file_limit_is_not_read(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"x": "y" * 5000}), encoding="utf-8")
    with applied(Limits(max_file_bytes=1000)):
        problems: list[InputError] = []
        assert read_json(path, on_error=problems.append) is None
    assert "a file read whole beyond the 1000 bytes limit" in problems[0].problem


# -- spreadsheets -----------------------------------------------------------------------


def test_a_real_workbook_still_reads(realdata):
    path = realdata / "medicationqa" / "MedInfo2019-QA-Medications.xlsx"
    rows = list(read_xlsx(path))
    assert len(rows) > 10 and all("Question" in row for _, row in rows)


def test_an_xlsx_cell_bomb_is_refused_before_it_is_expanded(tmp_path):
    path = hostile.xlsx_cell_bomb(tmp_path / "bomb.xlsx", cell_bytes=400 * MiB)
    assert path.stat().st_size < 2 * MiB
    with pytest.raises(UnreadableError, match=r"sheet1.xml: expands \d+-fold .*--limit ratio="):
        list(read_xlsx(path))


def test_an_xlsx_cell_beyond_the_item_limit_is_refused_while_streaming(tmp_path):
    # A ratio a real sheet could have: only the streaming check of one text run can catch it.
    path = hostile.xlsx_cell_bomb(tmp_path / "cell.xlsx", cell_bytes=3 * MiB)
    with (
        applied(Limits(max_item_bytes=1 * MiB, ratio_floor_bytes=64 * MiB)),
        pytest.raises(UnreadableError, match=r"a text run \(one cell, text node or tag\) beyond the 1 MiB"),
    ):
        list(read_xlsx(path))


def test_xlsx_shared_strings_beyond_their_limit_are_refused_from_the_declared_size(tmp_path):
    path = hostile.xlsx_shared_strings_bomb(tmp_path / "strings.xlsx", total_bytes=40 * MiB)
    with (
        applied(Limits(max_shared_strings_bytes=16 * MiB, max_ratio=10_000)),
        pytest.raises(UnreadableError, match=r"sharedStrings.xml: declares 40.0 MiB, beyond the 16 MiB"),
    ):
        list(read_xlsx(path))


def test_an_xlsx_bomb_in_a_source_is_one_unreadable_spot_not_a_crash(tmp_path):
    raw = tmp_path / "medicationqa"
    raw.mkdir()
    hostile.xlsx_cell_bomb(raw / "MedInfo2019-QA-Medications.xlsx", cell_bytes=400 * MiB)
    records, rejects = convert("medicationqa", raw)
    assert records == [] and len(rejects) == 1 and rejects[0].unreadable
    assert "expands" in rejects[0].reason


# -- compressed streams and XML -----------------------------------------------------------


def test_a_gzip_bomb_behind_a_csv_is_refused_by_ratio(tmp_path):
    path = hostile.gzip_bomb(tmp_path / "radiology.csv.gz", total_bytes=64 * MiB)
    with (
        applied(Limits(ratio_floor_bytes=4 * MiB)),
        pytest.raises(UnreadableError, match=r"decompressed data expands \d+-fold"),
    ):
        list(stream_csv(path))


def test_an_endless_csv_line_is_refused_while_streaming(tmp_path):
    path = hostile.long_line(tmp_path / "notes.csv", 3 * MiB, prefix=b"a,b\n1,")
    problems: list[InputError] = []
    with applied(Limits(max_item_bytes=1 * MiB)):
        assert list(stream_csv(path, on_error=problems.append)) == []
    assert len(problems) == 1 and "a text run" in problems[0].problem


def test_a_plain_gzip_csv_still_streams(tmp_path):
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wb") as out:
        out.write(hostile.csv_bytes([["a", "b"], *[[str(i), "x" * 50] for i in range(20_000)]]))
    assert sum(1 for _ in stream_csv(path)) == 20_000


def test_a_csv_row_with_a_nul_byte_is_reported_and_dropped(realdata, tmp_path):
    lines = (realdata / "icd10cm" / "categories.csv").read_bytes().splitlines(keepends=True)
    path = tmp_path / "categories.csv"
    damaged = lines[4][:3] + b"\x00" + lines[4][3:]
    path.write_bytes(b"".join([*lines[:4], damaged, *lines[5:]]))
    problems: list[InputError] = []
    rows = list(read_csv(path, fieldnames=("code", "title"), on_error=problems.append))
    assert len(rows) == len([line for line in lines if line.strip()]) - 1
    assert all("\x00" not in value for _, row in rows for value in row.values())
    assert [(p.where, p.problem) for p in problems] == [("line 5", "holds a NUL byte (binary data, not text)")]


def test_xml_nested_beyond_the_depth_limit_ends_the_file(tmp_path):
    path = tmp_path / "deep.xml"
    path.write_bytes(b"<r><record>ok</record>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</r>")
    problems: list[InputError] = []
    assert [where for where, _ in iter_xml(path, "record", on_error=problems.append)] == ["element <record> #1"]
    assert "XML nested beyond the 200 levels limit" in problems[0].problem


def test_an_xml_text_node_beyond_the_item_limit_is_refused(tmp_path):
    path = hostile.long_line(tmp_path / "big.xml", 3 * MiB, prefix=b"<r><record>", suffix=b"</record></r>")
    with (
        applied(Limits(max_item_bytes=1 * MiB)),
        pytest.raises(UnreadableError, match="a text run"),
    ):
        list(iter_xml(path, "record"))


def test_wanted_elements_keep_their_children_while_others_are_dropped(tmp_path):
    path = tmp_path / "flat.xml"
    path.write_bytes(b"<r>" + b"<other><x>padding</x></other>" * 1000
                     + b"<record><x>kept</x><other><x>inner</x></other></record></r>")
    seen = [(e.findtext("x"), e.findtext("other/x")) for _, e in iter_xml(path, "record")]
    assert seen == [("kept", "inner")]


# -- links out of the raw folder ------------------------------------------------------------


def test_a_symlink_leaving_the_raw_folder_is_not_followed(realdata, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(realdata / "medqa" / sorted(p.name for p in (realdata / "medqa").glob("*.jsonl"))[0],
                outside / "test.jsonl")
    raw = tmp_path / "medqa"
    raw.mkdir()
    (raw / "test.jsonl").symlink_to(outside / "test.jsonl")
    inside = raw / "sub"
    inside.mkdir()
    first = sorted((realdata / "medqa").glob("*.jsonl"))[0]
    shutil.copy(first, inside / "dev.jsonl")
    (raw / "train.jsonl").symlink_to(inside / "dev.jsonl")  # a link that stays inside is read
    records, rejects = convert("medqa", raw)
    assert {r.origin.split(",")[0] for r in records} == {"sub/dev.jsonl", "train.jsonl"}
    clean, _ = convert("medqa", realdata / "medqa")
    assert len(records) == 2 * len(clean) > 0  # the copy and the link inside, never the link outside
    refused = [r for r in rejects if "symbolic link" in r.reason]
    assert len(refused) == 1 and refused[0].unreadable and "test.jsonl" in refused[0].origin


# -- bench predictions ------------------------------------------------------------------------


def test_a_prediction_beyond_the_limit_is_scored_wrong_and_the_rest_kept(tmp_path):
    path = tmp_path / "preds.csv"
    rows = [["task_id", "input", "GT", "output"], ["task1", "q1", "A", "A"], ["task1", "q2", "B", "x" * 5000],
            ["task1", "q3", "C", "C"]]
    path.write_bytes(hostile.csv_bytes(rows))
    with applied(Limits(max_prediction_chars=1000)):
        read = read_prediction_file(path)
    assert [p.prediction for p in read.predictions] == ["A", "", "C"]
    assert [(p.where, p.problem) for p in read.problems] == [(
        "row 2 (line 3)",
        "a prediction of 5,000 characters beyond the 1,000 characters limit (raise it with --limit prediction=...);"
        " scored as wrong",
    )]


def test_utf16_predictions_without_bom_are_read_and_said_so(tmp_path):
    path = tmp_path / "preds.csv"
    text = "task_id,input,GT,output\ntask1,q1,A,A\n"
    path.write_bytes(text.encode("utf-16-le"))
    read = read_prediction_file(path)
    assert [(p.task_id, p.prediction) for p in read.predictions] == [("task1", "A")]
    assert read.problems[0].problem.startswith("UTF-16-LE text without a byte-order mark")


def test_binary_predictions_give_a_readable_message(tmp_path):
    path = tmp_path / "preds.csv"
    path.write_bytes(bytes(range(256)) * 4)
    read = read_prediction_file(path)
    assert read.predictions == []
    assert [p.problem for p in read.problems] == ["holds NUL bytes: not a text file (save it as UTF-8 CSV)"]
    assert "\x00" not in str(read.problems[0])


# -- the command line, in a child process: one line, exit 1, bounded memory ----------------------


@pytest.mark.parametrize("depth", [20_001, 50_001])
def test_convert_of_a_deep_json_exits_1_with_one_line_in_bounded_memory(tmp_path, depth):
    raw = tmp_path / "chatdoctor"
    raw.mkdir()
    hostile.deep_json_array(raw / "chatdoctor5k.json", depth)
    proc, rss = medsins("convert", "chatdoctor", "--raw", str(raw), "--out", str(tmp_path / "out.jsonl"))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "record 1: JSON nested beyond the 200 levels limit" in proc.stderr
    assert rss < 1 << 30


def test_the_limit_flag_raises_a_limit(tmp_path):
    raw = tmp_path / "chatdoctor"
    raw.mkdir()
    item = {"input": "I have a headache " * 3, "output": "Drink water and rest. " * 3,
            "instruction": "If you are a doctor, please answer the medical questions."}
    (raw / "chatdoctor5k.json").write_text(json.dumps([item, {"input": [[[[["x"]]]]], "output": "y"}]))
    run = ("convert", "chatdoctor", "--raw", str(raw), "--limit")
    low, _ = medsins(*run, "depth=3", "--out", str(tmp_path / "a.jsonl"))
    assert low.returncode == 1 and "JSON nested beyond the 3 levels limit" in low.stderr
    high, _ = medsins(*run, "depth=10", "--out", str(tmp_path / "b.jsonl"))
    assert "nested beyond" not in high.stderr
    bad, _ = medsins("convert", "chatdoctor", "--raw", str(raw), "--limit", "depth=lots")
    assert bad.returncode == 1 and "--limit 'depth=lots'" in bad.stderr and "Traceback" not in bad.stderr


def test_bench_score_of_a_huge_prediction_stays_bounded(tmp_path):
    path = tmp_path / "preds.csv"
    with path.open("wb") as out:
        out.write(b"task_id,input,GT,output\ntask1,q1,A,A\ntask1,q2,B,\"")
        block = b"lorem ipsum " * (MiB // 12)
        for _ in range(60):
            out.write(block)
        out.write(b"\"\ntask1,q3,C,C\n")
    proc, rss = medsins("bench", "score", str(path), "--references", "gt", "--bootstrap", "0")
    assert "Traceback" not in proc.stderr
    assert "beyond the 1,048,576 characters limit" in proc.stderr + proc.stdout
    assert rss < 1 << 30
    assert proc.returncode == 1  # a rejected prediction fails the command, as a rejected raw item does
    assert "| task1 |" in proc.stdout  # and the other rows are still scored


def test_bench_score_exit_code_tells_rejections_from_notes(tmp_path):
    notes = tmp_path / "notes.csv"  # an empty answer, a UTF-16 file without BOM: read whole, exit 0
    notes.write_bytes("task_id,input,GT,output\ntask1,q1,A,A\ntask1,q2,B,\n".encode("utf-16-le"))
    proc, _ = medsins("bench", "score", str(notes), "--references", "gt", "--bootstrap", "0")
    assert proc.returncode == 0, proc.stderr
    assert "without a byte-order mark" in proc.stderr and "empty prediction" in proc.stderr

    rejected = tmp_path / "rejected.csv"  # a row that cannot be matched is skipped: exit 1
    rejected.write_text("task_id,input,GT,output\ntask1,q1,A,A\n,,,B\n", encoding="utf-8")
    proc, _ = medsins("bench", "score", str(rejected), "--references", "gt", "--bootstrap", "0")
    assert proc.returncode == 1, proc.stderr
    assert "cannot be matched" in proc.stderr and "Traceback" not in proc.stderr

