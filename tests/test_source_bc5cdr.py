"""BC5CDR converter: sentence-level NER from the real PubTator slice, the sample, the splitter."""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.formats import Document, Mention
from medsins.records import Record, split_entities

DEV = "CDR_DevelopmentSet.PubTator.txt"


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


@pytest.fixture(scope="module")
def bc5cdr(catalog):
    return catalog.get("bc5cdr")


@pytest.fixture(scope="module")
def real(realdata, bc5cdr, catalog):
    return _convert(bc5cdr, realdata / "bc5cdr", catalog.registry)


def _raw_documents(path: Path) -> dict[str, tuple[str, list[tuple[int, int, str, str]]]]:
    """PMID -> (title + ' ' + abstract, [(start, end, text, type)]), parsed with plain splits."""
    docs: dict[str, tuple[str, list[tuple[int, int, str, str]]]] = {}
    titles: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        if "|t|" in line[:20]:
            pmid, _, title = line.split("|", 2)
            titles[pmid] = title
        elif "|a|" in line[:20]:
            pmid, _, abstract = line.split("|", 2)
            docs[pmid] = (f"{titles[pmid]} {abstract}", [])
        elif line.count("\t") >= 4 and line.split("\t")[1].isdigit():
            pmid, start, end, text, kind = line.split("\t")[:5]
            docs[pmid][1].append((int(start), int(end), text, kind))
    return docs


def test_real_sentence_count(real, realdata):
    records, rejections = real
    assert rejections == []
    text = (realdata / "bc5cdr" / DEV).read_text("utf-8")
    titles = [line for line in text.splitlines() if "|t|" in line[:20]]
    abstracts = [line.split("|a|", 1)[1] for line in text.splitlines() if "|a|" in line[:20]]
    # A naive count: every ". X" is a boundary; minus the 7 abbreviation periods
    # ("vs." x5, the initial "S.", "et al.") checked by eye in this slice.
    naive = sum(len(re.split(r"(?<=[.?!])\s+(?=[A-Z0-9(\[])", a)) for a in abstracts) + len(titles)
    counts = Counter(r.task_id for r in records)
    assert counts == {"task126": naive - 7, "task28": naive - 7}
    assert counts["task126"] == 465
    assert {r.split.value for r in records} == {"train"}
    assert len({r.raw_id.split("-")[0] for r in records}) == len(titles) == 50


def test_real_sentences_partition_each_document(real, realdata):
    records, _ = real
    docs = _raw_documents(realdata / "bc5cdr" / DEV)
    sentences: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record.task_id == "task126":
            sentences[record.raw_id.split("-")[0]].append(record.input)
    for pmid, (text, _) in docs.items():
        assert " ".join(sentences[pmid]) == " ".join(text.split())


def test_real_entities_equal_annotations(real, realdata):
    records, _ = real
    docs = _raw_documents(realdata / "bc5cdr" / DEV)
    assert all("  " not in text for text, _ in docs.values())  # so sentence offsets can be found by search
    cursor: dict[str, int] = {}
    placed: Counter[str] = Counter()
    for record in records:
        pmid = record.raw_id.split("-")[0]
        text, mentions = docs[pmid]
        kind = "Chemical" if record.task_id == "task126" else "Disease"
        if record.task_id == "task126":
            cursor[pmid] = text.index(record.input, cursor.get(pmid, 0))
        start = cursor[pmid]
        end = start + len(record.input)
        inside = sorted(m for m in mentions if m[0] >= start and m[1] <= end)
        placed[pmid] += len(inside) if kind == "Chemical" else 0
        expected = list(dict.fromkeys(m[2] for m in inside if m[3] == kind))
        assert split_entities(record.output) == expected, record.origin
        assert all(entity in record.input for entity in expected)
    # every mention of every document fell inside exactly one sentence
    assert all(placed[p] == len(m) for p, (_, m) in docs.items())


def test_real_first_document_exact(real):
    records, _ = real
    first = {(r.task_id, r.raw_id): r for r in records if r.raw_id.startswith("6794356-")}
    title = first["task126", "6794356-s1"]
    assert title.input == "Tricuspid valve regurgitation and lithium carbonate toxicity in a newborn infant."
    assert title.output == "lithium carbonate"
    assert first["task28", "6794356-s1"].output == "Tricuspid valve regurgitation\ntoxicity"
    second = first["task28", "6794356-s2"]
    assert second.input == (
        "A newborn with massive tricuspid regurgitation, atrial flutter, congestive heart failure, "
        "and a high serum lithium level is described."
    )
    assert second.output == "tricuspid regurgitation\natrial flutter\ncongestive heart failure"
    assert first["task126", "6794356-s2"].output == "lithium"
    assert second.origin == f"{DEV}, line 1 (PMID 6794356), sentence 2"


def test_test_set_feeds_task126_test_and_task127(realdata, bc5cdr, catalog, tmp_path):
    shutil.copy(realdata / "bc5cdr" / DEV, tmp_path / "CDR_TestSet.PubTator.txt")
    records, rejections = _convert(bc5cdr, tmp_path, catalog.registry)
    assert rejections == []
    assert Counter((r.task_id, r.split.value) for r in records) == {
        ("task126", "test"): 465, ("task127", "test"): 465
    }


def test_ids_unique_and_deterministic(real, bc5cdr, realdata, catalog):
    records, _ = real
    ids = [r.id for r in records]
    assert len(set(ids)) == len(ids)
    again, _ = _convert(bc5cdr, realdata / "bc5cdr", catalog.registry)
    assert [r.id for r in again] == ids


def test_sample_converts(bc5cdr, catalog):
    records, rejections = _convert(bc5cdr, None, catalog.registry)
    assert rejections == []
    assert Counter(r.task_id for r in records) == {"task126": 20, "task127": 7, "task28": 13}
    by_key = {(r.task_id, r.raw_id): r for r in records}
    # "e.g. 148" does not end the sentence
    assert by_key["task126", "90000001-s3"].input.startswith("Plasma ammonia was raised in both, e.g. 148")
    assert by_key["task127", "90000004-s3"].output == "None"


def test_splitter_never_cuts_a_mention_and_keeps_abbreviations(bc5cdr):
    sentence_spans = sys.modules[type(bc5cdr).__module__].sentence_spans
    abstract = (
        "Dose was 5 mg vs. 10 mg in Fig. 2. "
        "Patients took vitamin B. Complex cases by J. Smith et al. were excluded."
    )
    doc = Document("1", "A title.", abstract)
    name = "vitamin B. Complex"
    start = doc.text.index(name)
    doc.mentions.append(Mention(start, start + len(name), name, "Chemical", "-"))
    pieces = [doc.text[s:e] for s, e in sentence_spans(doc)]
    assert pieces == [
        "A title.",
        "Dose was 5 mg vs. 10 mg in Fig. 2.",
        "Patients took vitamin B. Complex cases by J. Smith et al. were excluded.",
    ]


def test_unknown_file_name_and_bad_offsets_are_reported(tmp_path, bc5cdr, catalog):
    (tmp_path / "CDR_Sample.PubTator.txt").write_text("1|t|Aspirin.\n1|a|No abstract.\n", "utf-8")
    (tmp_path / "CDR_TrainingSet.PubTator.txt").write_text(
        "2|t|Aspirin asthma.\n2|a|Rare.\n2\t0\t7\tAspirin\tChemical\tD001241\n"
        "2\t8\t14\tasthmX\tDisease\tD001249\n\n"
        "3|t|Heparin.\n3|a|Bleeding occurred.\n3\t0\t7\tHeparin\tChemical\tD006493\n",
        "utf-8",
    )
    records, rejections = _convert(bc5cdr, tmp_path, catalog.registry)
    assert sorted(r.origin for r in rejections) == [
        "CDR_Sample.PubTator.txt", "CDR_TrainingSet.PubTator.txt, line 4"
    ]
    assert {r.raw_id for r in records} == {"3-s1", "3-s2"}
