"""MedQuAD source: the XML sample, merged repeated questions, removed answers reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "medquad"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_one_item_per_question(sample):
    records, rejections = sample
    assert rejections == []
    # Raw ids name the folder and file: MedQuAD's qids repeat across folders (and files).
    assert [r.raw_id for r in records] == [
        "1_CancerGov_QA/0000001_1/0000001_1-1", "1_CancerGov_QA/0000001_1/0000001_1-2",
        "5_NIDDK_QA/0000010_2/0000010_2-1", "5_NIDDK_QA/0000010_2/0000010_2-2",
    ]
    assert {(r.task_id, r.split) for r in records} == {("task103", Split.TRAIN)}


def test_sample_exact_records(sample):
    first = sample[0][0]
    assert first.input == "What is (are) Basal Cell Carcinoma ?"
    # Line structure kept, lines trimmed, one blank line at most; the same question
    # in another document (NIDDK file) adds its answer after a blank line.
    assert first.output == (
        "Key Points\n"
        "- Basal cell carcinoma is a cancer that forms in the lowest layer of the epidermis.\n"
        "- Sun exposure raises the risk.\n"
        "\n"
        "It is the most common kind of skin cancer and rarely spreads.\n"
        "\n"
        "A slow-growing skin cancer of the basal cells."
    )
    assert first.origin == "1_CancerGov_QA/0000001_1.xml, QAPair 1 (qid 0000001_1-1)"


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_removed_answers_and_malformed_files_reported(tmp_path, catalog):
    folder = tmp_path / "10_MPlus_ADAM_QA"
    folder.mkdir()
    (folder / "0000100_1.xml").write_text(
        '<Document id="0000100_1" source="MPlusADAM"><Focus>Sprains</Focus><QAPairs>'
        '<QAPair pid="1"><Question qid="0000100_1-1" qtype="information">What is (are) Sprains ?</Question>'
        "<Answer></Answer></QAPair>"
        '<QAPair pid="2"><Question qid="0000100_1-2" qtype="treatment">How to treat Sprains ?</Question>'
        "<Answer>Rest and ice.</Answer></QAPair>"
        "</QAPairs></Document>"
    )
    (folder / "0000101_1.xml").write_text('<Document id="0000101_1"><QAPairs>\n<QAPair>')
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("10_MPlus_ADAM_QA/0000100_1/0000100_1-2", "Rest and ice.")]
    assert [(r.origin, r.reason, r.unreadable) for r in rejections] == [
        ("10_MPlus_ADAM_QA/0000100_1.xml, QAPair 1 (qid 0000100_1-1)", "empty answer", False),
        ("10_MPlus_ADAM_QA/0000101_1.xml, line 2, column 8",
         "malformed XML: no element found: line 2, column 8; the rest of the file was not read", True),
    ]


#: A ``<doc>`` file as in 6_NINDS_QA (0000007.xml, 0000018.xml, 0000182.xml, 0000244.xml), shortened.
NINDS_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<doc docid="0000007" corpus="NINDS" url="http://www.ninds.example/disorders/holmes_adie.htm">
<doctitle-focus>Holmes-Adie</doctitle-focus>
<umls>
<cui></cui>
<semanticType></semanticType>
<semanticGroup></semanticGroup>
</umls>
<qaPairs>
<pair pid="1">
<question qid="0000007-1" qtype="information">what is holmes-adie syndrome ?</question>
<answer>Holmes-Adie syndrome (HAS) is a neurological disorder affecting the pupil of the eye.</answer>
</pair>
<pair pid="2">
<question qid="0000007-2" qtype="treatment">is there any treatment for Holmes-Adie ?</question>
<answer>Doctors may prescribe reading glasses.   Thoracic sympathectomy is the definitive treatment. </answer>
</pair>
<pair pid="3">
<question qid="0000007-3" qtype="outlook">what is the prognosis for Holmes-Adie ?</question>
<answer></answer>
</pair>
</qaPairs>
</doc>
"""

#: A ``<DiseaseFile>`` as 9_CDC_QA/0000397.xml, shortened.
CDC_DISEASE_FILE = """<?xml version="1.0" encoding="UTF-8"?>
<DiseaseFile fid="0000397" source="CDC" url="http://www.cdc.example/parasites/taeniasis/">
<Focus>Parasites - Taeniasis</Focus>
<UMLS>
<CUI></CUI>
<SemanticType></SemanticType>
<SemanticGroup></SemanticGroup>
</UMLS>
<QAPairs>
<QAPair pid="1">
<Question qid="0000397-1" qtype="information">What is (are) Parasites - Taeniasis ?</Question>
<Answer>Taeniasis in humans is a parasitic infection caused by tapeworms.

T. solium tapeworm infections can lead to cysticercosis.</Answer>
</QAPair>
<QAPair pid="2">
<Question qid="0000397-2" qtype="susceptibility">Who is at risk for Parasites - Taeniasis? ?</Question>
<Answer>Persons who don&apos;t eat raw or undercooked beef or pork are not likely to get taeniasis.
{indent}
More on: Cysticercosis</Answer>
</QAPair>
</QAPairs>
</DiseaseFile>
""".format(indent="    ")


def test_doc_and_disease_file_roots_convert(tmp_path, catalog):
    (tmp_path / "6_NINDS_QA").mkdir()
    (tmp_path / "6_NINDS_QA" / "0000007.xml").write_text(NINDS_DOC, encoding="utf-8")
    (tmp_path / "9_CDC_QA").mkdir()
    (tmp_path / "9_CDC_QA" / "0000397.xml").write_text(CDC_DISEASE_FILE, encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.origin, r.input, r.output) for r in records] == [
        ("6_NINDS_QA/0000007/0000007-1", "6_NINDS_QA/0000007.xml, QAPair 1 (qid 0000007-1)",
         "what is holmes-adie syndrome ?",
         "Holmes-Adie syndrome (HAS) is a neurological disorder affecting the pupil of the eye."),
        ("6_NINDS_QA/0000007/0000007-2", "6_NINDS_QA/0000007.xml, QAPair 2 (qid 0000007-2)",
         "is there any treatment for Holmes-Adie ?",
         "Doctors may prescribe reading glasses. Thoracic sympathectomy is the definitive treatment."),
        ("9_CDC_QA/0000397/0000397-1", "9_CDC_QA/0000397.xml, QAPair 1 (qid 0000397-1)",
         "What is (are) Parasites - Taeniasis ?",
         "Taeniasis in humans is a parasitic infection caused by tapeworms.\n\n"
         "T. solium tapeworm infections can lead to cysticercosis."),
        ("9_CDC_QA/0000397/0000397-2", "9_CDC_QA/0000397.xml, QAPair 2 (qid 0000397-2)",
         "Who is at risk for Parasites - Taeniasis? ?",
         "Persons who don't eat raw or undercooked beef or pork are not likely to get taeniasis.\n\n"
         "More on: Cysticercosis"),
    ]
    # The pair without an answer is reported, naming its file.
    assert [(r.origin, r.reason) for r in rejections] == [
        ("6_NINDS_QA/0000007.xml, QAPair 3 (qid 0000007-3)", "empty answer"),
    ]


def test_unrecognised_structures_are_reported(tmp_path, catalog):
    folder = tmp_path / "13_Other_QA"
    folder.mkdir()
    (folder / "0000001.xml").write_text(
        '<Questions><Item id="1"><Q>What is (are) Gout ?</Q><A>A form of arthritis.</A></Item></Questions>'
    )
    (folder / "0000002.xml").write_text(
        '<Document id="0000002"><Focus>Gout</Focus>'
        "<QAPair><Question qid=\"0000002-1\">What is (are) Gout ?</Question><Answer>Arthritis.</Answer></QAPair>"
        "</Document>"
    )
    (folder / "0000003.xml").write_text(
        '<Document id="0000003"><QAPairs><QAPair pid="1"><Answer>Arthritis.</Answer></QAPair></QAPairs></Document>'
    )
    records, rejections = convert(catalog, tmp_path)
    assert records == []
    assert [(r.origin, r.reason) for r in rejections] == [
        ("13_Other_QA/0000001.xml",
         "root <Questions> is not a MedQuAD document (<Document>, <DiseaseFile> or <doc>); the file was not converted"),
        ("13_Other_QA/0000002.xml, <Document> #1 (id 0000002)",
         "no question-answer pairs (<QAPairs>/<QAPair> or <qaPairs>/<pair>); the document was not converted"),
        ("13_Other_QA/0000003.xml, QAPair 1 (qid 0000003-1)", "empty question"),
    ]


def test_raw_ids_unique_across_folders(tmp_path, catalog):
    """MedQuAD qids (0000004-1) repeat across folders, and across files of one folder (CancerGov)."""
    def document(doc_id: str, question: str) -> str:
        return (f'<Document id="{doc_id}"><QAPairs><QAPair pid="1"><Question qid="{doc_id}-1">{question}'
                f"</Question><Answer>An answer to {question}</Answer></QAPair></QAPairs></Document>")

    for folder, name, doc_id, question in [
        ("1_CancerGov_QA", "0000004.xml", "0000004", "What is (are) Bladder Cancer ?"),
        ("1_CancerGov_QA", "0000004_1.xml", "0000004", "What is (are) Urethral Cancer ?"),
        ("2_GARD_QA", "0000004.xml", "0000004", "What is (are) Aarskog syndrome ?"),
    ]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(document(doc_id, question))
    records, rejections = convert(catalog, tmp_path)
    assert rejections == []
    assert [r.raw_id for r in records] == [
        "1_CancerGov_QA/0000004/0000004-1", "1_CancerGov_QA/0000004_1/0000004-1", "2_GARD_QA/0000004/0000004-1",
    ]
    assert len({r.id for r in records}) == 3
