"""PubMed + MeSH source: the gzip baseline sample, exact records, citations that cannot be items."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "pubmed_mesh"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_counts(sample):
    records, rejections = sample
    assert rejections == []
    assert [r.raw_id for r in records] == ["90000001", "90000002", "90000003"]  # DeleteCitation is no item
    assert {(r.task_id, r.split) for r in records} == {("task107", Split.TRAIN)}


def test_sample_exact_record(sample):
    first = sample[0][0]
    assert first.input == (
        "Title: Effect of a home walking programme on blood pressure in older adults: a randomized trial.\n"
        "Abstract: BACKGROUND: Hypertension is common in older adults.\n"
        "METHODS: We randomly assigned 120 adults aged 65 years or older to a home walking programme or usual "
        "care for 12 weeks.\n"
        "RESULTS: Systolic blood pressure fell by 6 mm Hg more with walking (P<0.01)."
    )
    # Descriptors in record order, qualifiers ("therapy") dropped.
    assert first.output == "Aged, Blood Pressure, Humans, Hypertension, Walking"
    assert first.origin == "pubmed25n0001.xml.gz, element <PubmedArticle> #1 (PMID 90000001)"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def _article(pmid: str, title: str, abstract: str, mesh: list[str]) -> str:
    headings = "".join(f"<MeshHeading><DescriptorName>{m}</DescriptorName></MeshHeading>" for m in mesh)
    abstract_xml = f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract>" if abstract else ""
    return (f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article><ArticleTitle>{title}</ArticleTitle>"
            f"{abstract_xml}</Article><MeshHeadingList>{headings}</MeshHeadingList></MedlineCitation></PubmedArticle>")


def test_unindexed_or_abstractless_citations_reported(tmp_path, catalog):
    body = "".join([
        _article("1", "Indexed.", "Has all.", ["Humans"]),
        _article("2", "No abstract.", "", ["Humans"]),
        _article("3", "Not indexed yet.", "Some text.", []),
    ])
    (tmp_path / "pubmed25n0002.xml").write_text(f"<PubmedArticleSet>{body}</PubmedArticleSet>")
    records, rejections = convert(catalog, tmp_path)  # plain .xml is read when no .xml.gz exists
    assert [(r.raw_id, r.output) for r in records] == [("1", "Humans")]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("pubmed25n0002.xml, element <PubmedArticle> #2 (PMID 2)", "no abstract"),
        ("pubmed25n0002.xml, element <PubmedArticle> #3 (PMID 3)", "no MeSH headings"),
    ]


def test_truncated_archive_names_the_file(tmp_path, catalog):
    data = gzip.compress(b"<PubmedArticleSet>" + _article("1", "T.", "A.", ["Humans"]).encode() * 50)
    (tmp_path / "pubmed25n0003.xml.gz").write_bytes(data[: len(data) // 2])
    records, rejections = convert(catalog, tmp_path)
    assert all(r.output == "Humans" for r in records)  # items before the cut still convert
    assert len(rejections) == 1
    assert rejections[0].origin.startswith("pubmed25n0003.xml.gz, after element")
    assert rejections[0].reason.startswith("cannot decompress")


def test_malformed_file_does_not_stop_the_other_files(tmp_path, catalog):
    # Reported through the converter's report callback: the next baseline file is still read.
    (tmp_path / "pubmed25n0004.xml").write_text(
        "<PubmedArticleSet>" + _article("4", "T.", "A.", ["Humans"]) + "<PubmedArticle><oops></PubmedArticle>")
    (tmp_path / "pubmed25n0005.xml").write_text(
        "<PubmedArticleSet>" + _article("5", "T.", "A.", ["Mice"]) + "</PubmedArticleSet>")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("4", "Humans"), ("5", "Mice")]
    assert len(rejections) == 1
    assert rejections[0].origin.startswith("pubmed25n0004.xml, line 1")
    assert "malformed XML" in rejections[0].reason
