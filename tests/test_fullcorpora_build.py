"""The whole build over the complete real files of ../shared/fullcorpora: every raw item accounted for.

Raw items are counted here straight from the raw files, with a small reader per
format (not the converters): IOB sentences, PubTator documents, JSON array
elements, JSON lines, CSV rows, spreadsheet rows, XML elements. Every one of
them must appear in the ledger (by the file and place in its origin), the
ledger must hold one row per entered record with unique ids, and the only
rejects and language drops are the ones named below.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from medsins.build import BuildOptions, build
from medsins.release.manifest import verify_release
from medsins.stages.license import Profile

#: Raw items no task can hold, by source: (origin prefix, why).
EXPECTED_REJECTS = {
    "igakuqa": {
        ("116-B.jsonl, line 50", "a numeric answer (21) with no options: not an MCQA item"),
        ("116-C.jsonl, line 75", "a numeric answer (325) with no options: not an MCQA item"),
        ("116-F.jsonl, line 74", "a numeric answer (04) with no options: not an MCQA item"),
    },
}


def _iob_sentences(path: Path, markers: tuple[str, ...] = ("-DOCSTART-", "###MEDLINE:")) -> set[str]:
    starts, inside = set(), False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith(markers):
            inside = False
        elif not inside:
            starts.add(f"line {number}")
            inside = True
    return starts


def _pubtator_documents(path: Path) -> set[str]:
    return {f"line {n}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            if re.match(r"^[^\t|]+\|t\|", line)}


def _json_records(path: Path) -> set[str]:
    return {f"record {i}" for i in range(1, len(json.loads(path.read_text(encoding="utf-8"))) + 1)}


def _json_lines(path: Path) -> set[str]:
    return {f"line {n}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            if line.strip()}


def _csv_lines(path: Path) -> set[str]:
    return {f"line {n}" for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1)
            if line.strip()}


def _xlsx_rows(path: Path) -> set[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    sheet = book.worksheets[0]
    rows = {f"sheet {sheet.title}, row {n}" for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            if n > 1 and any(v is not None and str(v).strip() for v in values)}
    book.close()
    return rows


def _xml_elements(path: Path, tag: str) -> set[str]:
    count = len(re.findall(rf"<{tag}[\s>]", path.read_text(encoding="utf-8")))
    return {f"element <{tag}> #{i}" for i in range(1, count + 1)}


def _headqa_questions(path: Path) -> set[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {f"exam {exam}, qid {q['qid']}" for exam, body in data["exams"].items() for q in body["data"]}


def _pubmedqa_items(path: Path) -> set[str]:
    return {f"record {i}" for i in range(1, len(json.loads(path.read_text(encoding="utf-8"))) + 1)}


#: Per source: raw file name -> the places of its raw items (counted from the file).
def raw_items(root: Path) -> dict[str, dict[str, set[str]]]:
    def each(source: str, pattern: str, count) -> dict[str, set[str]]:
        return {p.name: count(p) for p in sorted((root / source).glob(pattern))}

    return {
        "bc2gm": each("bc2gm", "*.tsv", _iob_sentences),
        "species800": each("species800", "*.tsv", _iob_sentences),
        "jnlpba": each("jnlpba", "*.iob2", _iob_sentences),
        "bc5cdr": each("bc5cdr", "*.PubTator.txt", _pubtator_documents),
        "ncbi_disease": each("ncbi_disease", "NCBI*_corpus.txt", _pubtator_documents),
        "chatdoctor": each("chatdoctor", "chatdoctor5k.json", _json_records),
        "cmeee": each("cmeee", "CMeEE-V2_dev.json", _json_records),
        "frenchmedmcqa": each("frenchmedmcqa", "*.json", _json_records),
        "pubmedqa": each("pubmedqa", "ori_pqal.json", _pubmedqa_items),
        "headqa": each("headqa", "dev_HEAD.json", _headqa_questions),
        "medqa": each("medqa", "test.jsonl", _json_lines),
        "igakuqa": each("igakuqa", "116-?.jsonl", _json_lines),
        # RuMedTest's private test file has no answers: no task reads it.
        "rumedbench": each("rumedbench", "*_dev_v1.jsonl", _json_lines),
        "icd10cm": each("icd10cm", "categories.csv", _csv_lines),
        "medicationqa": each("medicationqa", "*.xlsx", _xlsx_rows),
        "meqsum": each("meqsum", "*.xlsx", _xlsx_rows),
        "liveqa": each("liveqa", "*summaries.xml", lambda p: _xml_elements(p, "NLM-QUESTION")),
    }


def origin_places(origin: str) -> list[tuple[str, str]]:
    """``(file, place of a raw item)`` pairs a ledger origin names (sentence / id suffixes dropped).

    A record that merges spreadsheet rows names them all: ``row 135 (also rows 242, 253)``.
    """
    name, _, where = origin.partition(", ")
    where = re.sub(r" \((PMID|qid) [^)]*\)", "", where)
    where = re.sub(r", sentence \d+$", "", where)
    also = re.search(r" \(also rows ([\d, ]+)\)$", where)
    if also is None:
        return [(name, where)]
    head = where[: also.start()]
    prefix = head.rpartition("row ")[0]
    return [(name, head)] + [(name, f"{prefix}row {n.strip()}") for n in also.group(1).split(",")]


@pytest.fixture(scope="module")
def full_build(fullcorpora: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("full") / "release"
    result = build(BuildOptions(raw_root=fullcorpora, out=out, profile=Profile.LOCAL, workers=2, quiet=True))
    return result, pl.read_parquet(result.ledger)


def test_every_raw_item_has_ledger_rows_and_nothing_else(full_build, fullcorpora):
    result, ledger = full_build
    expected = raw_items(fullcorpora)
    for source, files in expected.items():
        rows = ledger.filter(pl.col("source") == source)
        assert rows.height == result.counts[source]["entered"], source
        seen: dict[str, set[str]] = {}
        for origin in rows["origin"].to_list():
            for name, place in origin_places(origin):
                seen.setdefault(name, set()).add(place)
        for name, places in files.items():
            missing = places - seen.get(name, set())
            assert not missing, f"{source} {name}: {len(missing)} raw items without a ledger row: {sorted(missing)[:3]}"
        extra = {n: p for n, p in seen.items() if n not in files or p - files[n]}
        assert not extra, f"{source}: ledger origins not counted from the raw files: {list(extra)[:3]}"


def test_ledger_one_row_per_entered_record_with_unique_ids(full_build):
    result, ledger = full_build
    assert ledger.height == result.counts["total"]["entered"]
    assert ledger["id"].null_count() == 0 and ledger["id"].n_unique() == ledger.height
    manifest = verify_release(result.release)
    assert all(counts.balanced() for counts in manifest.counts.values())
    assert manifest.counts["total"].unreadable == 0 and not manifest.unreadable
    kept = pl.read_parquet(str(result.release / "data" / "**" / "*.parquet"))
    assert set(kept["id"].to_list()) == set(ledger.filter(pl.col("fate") == "kept")["id"].to_list())
    assert kept["id"].n_unique() == kept.height


def test_repeated_raw_items_are_duplicates_of_their_first_occurrence(full_build):
    _, ledger = full_build
    repeats = ledger.filter(pl.col("reason").str.starts_with("repeat of"))
    by_source = Counter(repeats["source"].to_list())
    # BC5CDR's training file holds the 500 development documents again (from line 11924).
    assert by_source["bc5cdr"] == 9088
    assert set(repeats.filter(pl.col("source") == "bc5cdr")["origin"].map_elements(
        lambda o: o.split(", ")[0], return_dtype=pl.String).to_list()) <= {
        "CDR_TrainingSet.PubTator.txt", "CDR_DevelopmentSet.PubTator.txt"}
    # NCBI-disease: PMID 8528200 at lines 3811 and 4557 of the training file.
    ncbi = repeats.filter(pl.col("source") == "ncbi_disease")
    assert ncbi.height > 0 and all("line 4557 (PMID 8528200)" in o for o in ncbi["origin"].to_list())
    kept_ids = set(ledger["id"].to_list())
    assert set(repeats["kept_id"].to_list()) <= kept_ids


def test_only_the_documented_rejects(full_build):
    _, ledger = full_build
    invalid = ledger.filter(pl.col("fate") == "invalid")
    got: dict[str, set[str]] = {}
    for source, origin in invalid.select("source", "origin").iter_rows():
        got.setdefault(source, set()).add(origin)
    assert got == {s: {o for o, _ in items} for s, items in EXPECTED_REJECTS.items()}


def test_no_test_content_in_pubmedqa_training_records(full_build, fullcorpora):
    result, _ = full_build
    rows = pl.read_parquet(str(result.release / "data" / "**" / "*.parquet")).filter(pl.col("source") == "pubmedqa")
    test_answers = set(rows.filter(pl.col("split") == "test")["output"].to_list())
    for text in rows.filter(pl.col("split") == "train")["input"].to_list():
        assert not any(answer in text for answer in test_answers if len(answer) > 40)


def test_ledger_command_answers_why_a_record_is_not_released(full_build, capsys):
    from medsins.cli import main

    result, ledger = full_build
    repeat = ledger.filter(pl.col("reason").str.starts_with("repeat of")).row(0, named=True)
    assert main(["ledger", str(result.release), "--id", repeat["kept_id"], "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rows} >= {repeat["id"], repeat["kept_id"]}
    assert {r["fate"] for r in rows if r["id"] == repeat["kept_id"]} == {"kept"}
    assert main(["ledger", str(result.ledger.parent), "--json"]) == 0
    counts = {(r["source"], r["fate"]): r["records"] for r in json.loads(capsys.readouterr().out)}
    assert counts[("bc5cdr", "kept")] == result.counts["bc5cdr"]["kept"]
    assert sum(counts.values()) == result.counts["total"]["entered"]
    assert main(["ledger", str(result.release), "--fate", "nonsense"]) == 1
    assert "unknown fate 'nonsense'" in capsys.readouterr().err
