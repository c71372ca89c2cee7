"""EBMSummariser source: the ClinicalInquiries.xml sample, the hash split, bad records."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "ebm_summariser"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_counts_and_split(sample):
    records, rejections = sample
    assert rejections == []
    assert Counter((r.task_id, r.split.value) for r in records) == {
        ("task99", "train"): 3, ("task100", "train"): 4, ("task100", "test"): 1,
    }
    # Record 18 is a test record by the documented hash rule; it feeds no training task.
    assert hashlib.blake2b(b"18", digest_size=8).digest()[0] < 26
    assert [(r.task_id, r.raw_id) for r in records if r.split is Split.TEST] == [("task100", "18/1")]
    assert not any("zinc" in r.input.lower() for r in records if r.split is Split.TRAIN)


def test_sample_exact_records(sample):
    by_key = {(r.task_id, r.raw_id): r for r in sample[0]}
    qa = by_key["task99", "1"]
    assert qa.input == "Does regular walking lower blood pressure in adults with mild hypertension?"
    assert qa.output == (
        "Yes, brisk walking for at least 30 minutes on most days lowers systolic blood pressure by a few mm Hg. "
        "The effect is smaller than that of a single antihypertensive drug."
    )
    justification = by_key["task100", "1/1"]
    assert justification.input.startswith("Yes, brisk walking")
    # Both justifications of the snip, in order, one item (not two contradictory ones).
    assert justification.output == (
        "A meta-analysis of randomised trials of aerobic exercise found mean reductions in systolic pressure "
        "of about 4 mm Hg among hypertensive adults.\n\n"
        "A later trial of supervised walking programmes reported similar effects after 12 weeks."
    )
    assert justification.origin == "ClinicalInquiries.xml, element <record> #1 (id 1)"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_bad_records_reported(tmp_path, catalog):
    (tmp_path / "ClinicalInquiries.xml").write_text(
        "<root>"
        "<record id='5'><question>Q five?</question><answer>"
        "<snip id='1'><sniptext>S one.</sniptext><long id='1_1'><longtext>L one.</longtext></long></snip>"
        "<snip id='2'><sniptext>S two.</sniptext></snip>"
        "<snip id='3'><long id='3_1'><longtext>orphan</longtext></long></snip>"
        "</answer></record>"
        "<record><question>No id?</question></record>"
        "</root>"
    )
    records, rejections = convert(catalog, tmp_path)
    assert [(r.task_id, r.raw_id, r.output) for r in records] == [
        ("task100", "5/1", "L one."), ("task99", "5", "S one. S two."),
    ]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("ClinicalInquiries.xml, element <record> #1 (id 5), snip 3", "snip without sniptext"),
        ("ClinicalInquiries.xml, element <record> #2", "record without id or question"),
    ]


def test_malformed_xml_names_line(tmp_path, catalog):
    (tmp_path / "ClinicalInquiries.xml").write_text("<root>\n<record id='1'><question>Q?</question>\n</root>\n")
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert rejections[0].origin.startswith("ClinicalInquiries.xml, line 3")
    assert "malformed XML" in rejections[0].reason


def test_snip_without_long_is_valid(tmp_path, catalog):
    # The release's DTD allows long* and 117 real snips have none: task99 only, no rejection.
    (tmp_path / "ClinicalInquiries.xml").write_text(
        "<ClinicalInquiries version='1.0'><record id='7'><url>u</url><question>Q seven?</question><answer>"
        "<snip id='1'><sniptext>S one.</sniptext><sor type='B'>x</sor>"
        "<long id='1_1'><longtext>L one.</longtext></long></snip>"
        "<snip id='2'><sniptext>Screen every year.</sniptext><sor type='C'>y</sor></snip>"
        "</answer></record></ClinicalInquiries>"
    )
    records, rejections = convert(catalog, tmp_path)
    assert rejections == []
    assert [(r.task_id, r.raw_id) for r in records] == [("task100", "7/1"), ("task99", "7")]
    assert records[1].output == "S one. Screen every year."


def test_placeholder_other_snip_is_skipped(tmp_path, catalog):
    # The release files leftover justifications under <sniptext>other</sniptext> in 80 records.
    def record(rid):
        return (f"<record id='{rid}'><url>u</url><question>Q {rid}?</question><answer>"
                f"<snip id='1'><sniptext>S {rid}.</sniptext><sor type='A'>x</sor>"
                f"<long id='1_1'><longtext>L {rid}.</longtext></long></snip>"
                f"<snip id='2'><sniptext>other</sniptext><sor type=''>None</sor>"
                f"<long id='2_1'><longtext>Leftover {rid}.</longtext></long></snip></answer></record>")
    (tmp_path / "ClinicalInquiries.xml").write_text(
        f"<ClinicalInquiries version='1.0'>{record('7')}{record('8')}</ClinicalInquiries>")
    records, rejections = convert(catalog, tmp_path)
    assert rejections == []
    assert [(r.task_id, r.raw_id, r.output) for r in records] == [
        ("task100", "7/1", "L 7."), ("task99", "7", "S 7."), ("task100", "8/1", "L 8."), ("task99", "8", "S 8."),
    ]
