"""NCBI Disease source: original corpus vs IOB files (one per part), sentences, gold mentions."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split, split_entities

SOURCE = "ncbi_disease"
CORPUS = "NCBIdevelopset_corpus.txt"
CONLL = "conll_devel.tsv"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def raw_documents(path: Path) -> dict[str, tuple[str, list[str]]]:
    """PMID -> (title + ' ' + abstract, mention strings), parsed by hand."""
    docs: dict[str, tuple[str, list[str]]] = {}
    texts: dict[str, list[str]] = defaultdict(list)
    mentions: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if "|t|" in line or "|a|" in line:
            pmid, _, text = line.split("|", 2)
            texts[pmid].append(text)
        elif line.strip():
            pmid, _, _, mention, *_ = line.split("\t")
            mentions[pmid].append(mention)
    for pmid, parts in texts.items():
        docs[pmid] = (" ".join(parts), mentions[pmid])
    return docs


def raw_iob(path: Path) -> list[tuple[str, list[str]]]:
    """(sentence text, entity strings) of an IOB file, parsed by hand."""
    out = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        rows = [line.split("\t") for line in block.splitlines()]
        spans: list[list[str]] = []
        for token, tag in rows:
            if tag.startswith("B-"):
                spans.append([token])
            elif tag.startswith("I-"):
                spans[-1].append(token)
        out.append((" ".join(t for t, _ in rows), list(dict.fromkeys(" ".join(s) for s in spans))))
    return out


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_original_corpus_is_read_and_the_iob_copy_is_not(real):
    records, rejections = real
    assert rejections == []
    assert len(records) == 465  # sentences of the 50 development abstracts
    assert {(r.task_id, r.split) for r in records} == {("task27", Split.TRAIN)}
    # conll_devel.tsv holds the same documents: it is not read, so nothing is counted twice.
    assert {r.origin.split(",")[0] for r in records} == {CORPUS}


def test_real_sentences_cover_each_document_and_its_mentions(real, raw_dir):
    docs = raw_documents(raw_dir / CORPUS)
    assert len(docs) == 50 and sum(len(m) for _, m in docs.values()) == 385
    by_pmid: dict[str, list[Record]] = defaultdict(list)
    for record in real[0]:
        by_pmid[record.raw_id.split("-")[0]].append(record)
    assert list(by_pmid) == list(docs)
    for pmid, (text, mentions) in docs.items():
        sentences = by_pmid[pmid]
        # The sentences, in order, are the whole document: nothing lost, nothing repeated.
        assert " ".join(r.input for r in sentences) == squash(text)
        found = [entity for r in sentences for entity in split_entities(r.output)]
        assert set(found) == {squash(m) for m in mentions}
        assert all(entity in r.input for r in sentences for entity in split_entities(r.output))


def test_real_records_by_content(real):
    by_id = {r.raw_id: r for r in real[0]}
    title = by_id["8808605-1"]
    assert title.input.startswith("Somatic-cell selection is a major determinant of the blood-cell phenotype")
    assert title.output == "enzyme deficiency"
    assert title.origin == f"{CORPUS}, line 1 (PMID 8808605), sentence 1"
    third = by_id["8808605-3"]
    assert third.input.startswith("In most people with red-blood-cell glucose-6-phosphate dehydrogenase")
    assert third.output == "glucose-6-phosphate dehydrogenase (G6PD) deficiency"
    # Double spaces of the original text are collapsed.
    assert "class I G6PD mutations two with G6PD Portici" in by_id["8808605-5"].input


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_iob_file_alone_is_read(catalog, raw_dir, tmp_path):
    shutil.copy(raw_dir / CONLL, tmp_path / CONLL)
    records, rejections = convert(catalog, tmp_path)
    gold = raw_iob(raw_dir / CONLL)
    assert rejections == []
    assert len(records) == len(gold) == 300
    assert [(r.input, split_entities(r.output)) for r in records] == gold
    assert records[1].output == "inherited breast and ovarian cancer"


def test_sample_prefers_the_corpus_file_per_part(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    # devel: the corpus file (conll_devel.tsv ignored); test: only conll_test.tsv exists, so it is read.
    assert [r.origin.split(",")[0] for r in records] == [CORPUS] * 8 + ["conll_test.tsv"] * 3
    assert records[1].output == "Cystic fibrosis\nCF\nautosomal recessive disorder"
    # No cut after "e.g.".
    assert records[2].input == (
        "We screened 120 patients with chronic pancreatitis for CFTR mutations, e.g. F508del."
    )
    assert records[10].output == "Iron overload\nliver cirrhosis\niron overload cardiomyopathy"


def test_a_document_with_a_bad_mention_is_reported(catalog, tmp_path):
    (tmp_path / CORPUS).write_text(
        "1|t|Gout in men.\n1|a|Gout is common.\n1\t0\t4\tGout\tSpecificDisease\tD006073\n\n"
        "2|t|Asthma in children.\n2|a|Asthma is common.\n2\t0\t5\tAsthma\tSpecificDisease\tD001249\n\n",
        encoding="utf-8",
    )
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.input, r.output) for r in records] == [
        ("1-1", "Gout in men.", "Gout"), ("1-2", "Gout is common.", "None"),
    ]
    assert [(j.origin, j.reason) for j in rejections] == [
        (f"{CORPUS}, line 7", "mention 'Asthma' does not match text at 0-5 ('Asthm')"),
    ]
