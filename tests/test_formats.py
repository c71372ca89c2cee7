"""The shared readers on hand-written good and malformed inputs."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from medsins.errors import InputError
from medsins.formats import (
    iob_entities,
    iter_json_array,
    iter_xml,
    read_csv,
    read_iob,
    read_json,
    read_jsonl,
    read_pubtator,
    read_xlsx,
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_truncated_json_names_file_and_line(tmp_path):
    path = write(tmp_path, "ori_pqal.json", '{\n  "1": {"QUESTION": "Is it?",\n  "CONTEXTS": ["a"')
    with pytest.raises(InputError) as info:
        read_json(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 3" in message
    assert "truncated" in message


def test_jsonl_bad_line_is_reported_and_the_rest_read(tmp_path):
    path = write(tmp_path, "test.jsonl", '{"q": 1}\nnot json at all\n\n{"q": 3}\n[1, 2]\n')
    errors: list[InputError] = []
    rows = list(read_jsonl(path, on_error=errors.append))
    assert rows == [("line 1", {"q": 1}), ("line 4", {"q": 3})]
    assert [e.where for e in errors] == ["line 2", "line 5"]
    assert "not a JSON object" in errors[0].problem
    assert "expected a JSON object, got list" in errors[1].problem


def test_jsonl_bad_line_raises_without_callback(tmp_path):
    path = write(tmp_path, "x.jsonl", '{"a": 1}\n{"a": \n')
    with pytest.raises(InputError, match=r"x\.jsonl, line 2: not a JSON object"):
        list(read_jsonl(path))


def test_non_utf8_file_names_the_line(tmp_path):
    path = write(tmp_path, "devel.tsv", b"Aspirin\tB-Chemical\n" + "caf\xe9\tO\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        list(read_iob(path))
    assert "devel.tsv, line 2" in str(info.value)
    assert "UTF-8" in str(info.value)


def test_non_utf8_whole_file_read(tmp_path):
    path = write(tmp_path, "a.json", b'{"k": "\xff"}')
    with pytest.raises(InputError, match=r"a\.json, line 1: not valid utf-8"):
        read_json(path)


def test_json_nested_past_the_recursion_limit_is_an_input_error(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(InputError, match=r"deep\.json: JSON nested too deeply"):
        read_json(write(tmp_path, "deep.json", deep))
    errors: list[InputError] = []
    rows = list(read_jsonl(write(tmp_path, "deep.jsonl", '{"a": 1}\n' + deep + "\n"), on_error=errors.append))
    assert rows == [("line 1", {"a": 1})]
    assert [e.where for e in errors] == ["line 2"] and "nested too deeply" in str(errors[0])


@pytest.mark.parametrize("reader", [read_json, lambda p: list(read_jsonl(p)), lambda p: list(read_iob(p)),
                                    lambda p: list(read_pubtator(p)), lambda p: list(read_csv(p)),
                                    lambda p: list(iter_json_array(p)), lambda p: list(iter_xml(p, "q"))])
def test_empty_file_is_an_error(tmp_path, reader):
    path = write(tmp_path, "empty.txt", "")
    with pytest.raises(InputError, match="file is empty"):
        reader(path)


def test_iob_wrong_column_count_skips_only_that_sentence(tmp_path):
    text = "E.\tB-Species\ncoli\tI-Species\n.\tO\n\nbad\tline\textra\nword\tO\n\nmice\tB-Species\n"
    path = write(tmp_path, "devel.tsv", text)
    errors: list[InputError] = []
    sentences = list(read_iob(path, on_error=errors.append))
    assert [s.text for _, s in sentences] == ["E. coli .", "mice"]
    assert [w for w, _ in sentences] == ["line 1", "line 8"]
    assert len(errors) == 1
    assert errors[0].where == "line 5"
    assert "expected 2 columns, found 3" in errors[0].problem
    assert iob_entities(sentences[0][1]) == [("Species", "E. coli")]


def test_iob_entities_handle_i_after_o_and_type_change():
    from medsins.formats import Sentence

    sentence = Sentence(("a", "b", "c", "d", "e"), ("I-X", "I-X", "O", "B-Y", "I-Z"))
    assert iob_entities(sentence) == [("X", "a b"), ("Y", "d"), ("Z", "e")]


def test_iob_mentions_give_text_entities_and_a_line_based_raw_id(tmp_path):
    from medsins.formats import read_iob_mentions

    path = tmp_path / "devel.tsv"
    path.write_text("-DOCSTART-\tO\n\nIL-2\tB\ngene\tI\nbinds\tO\nNF-kB\tB\n\nNone\tO\nhere\tO\n"
                    "\nbad\tB\tX\n\nIL-2\tB\n", encoding="utf-8")
    errors: list[InputError] = []
    sentences = list(read_iob_mentions(path, on_error=errors.append))
    assert [(s.where, s.text, s.entities, s.raw_id) for s in sentences] == [
        ("line 3", "IL-2 gene binds NF-kB", ["IL-2 gene", "NF-kB"], "devel-3"),
        ("line 8", "None here", [], "devel-8"),
        ("line 13", "IL-2", ["IL-2"], "devel-13"),
    ]
    assert [str(e) for e in errors] == [f"{path}, line 11: expected 2 columns, found 3"]


def test_pubtator_reads_mentions_and_relations(tmp_path):
    text = (
        "123|t|Aspirin causes ulcers.\n"
        "123|a|Ulcers were seen.\n"
        "123\t0\t7\tAspirin\tChemical\tD001241\n"
        "123\t15\t21\tulcers\tDisease\tD014456\n"
        "123\tCID\tD001241\tD014456\n"
    )
    (where, doc), = list(read_pubtator(write(tmp_path, "x.PubTator.txt", text)))
    assert where == "line 1"
    assert [(m.text, m.type) for m in doc.mentions] == [("Aspirin", "Chemical"), ("ulcers", "Disease")]
    assert doc.relations == [("CID", "D001241", "D014456")]


def test_pubtator_offset_mismatch_is_reported(tmp_path):
    text = "9|t|Aspirin works.\n9|a|\n9\t0\t5\tAspirin\tChemical\tD1\n\n10|t|Fine.\n10|a|Ok.\n"
    errors: list[InputError] = []
    docs = list(read_pubtator(write(tmp_path, "x.txt", text), on_error=errors.append))
    assert [d.pmid for _, d in docs] == ["10"]
    assert errors[0].where == "line 3"
    assert "does not match text" in errors[0].problem


def test_csv_missing_column_and_bad_row(tmp_path):
    path = write(tmp_path, "c.csv", "code,title\nA00,Cholera\nA01,Typhoid,extra\n")
    with pytest.raises(InputError, match=r"c\.csv, line 1: missing column\(s\) description"):
        list(read_csv(path, required=["code", "description"]))
    errors: list[InputError] = []
    rows = list(read_csv(path, required=["code"], on_error=errors.append))
    assert rows == [("line 2", {"code": "A00", "title": "Cholera"})]
    assert errors[0].where == "line 3"


def test_csv_without_header(tmp_path):
    path = write(tmp_path, "categories.csv", 'A000,"Cholera, unspecified"\n')
    assert list(read_csv(path, fieldnames=["code", "title"])) == [
        ("line 1", {"code": "A000", "title": "Cholera, unspecified"})
    ]


def _workbook(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_rows_and_missing_column(tmp_path):
    path = _workbook(tmp_path / "m.xlsx", ["File", "CHQ", "Summary"], [["1", "question?", "summary"], ["", "", ""]])
    assert list(read_xlsx(path, required=["CHQ", "Summary"])) == [
        ("sheet Sheet1, row 2", {"File": "1", "CHQ": "question?", "Summary": "summary"})
    ]
    with pytest.raises(InputError, match=r"m\.xlsx, sheet Sheet1, row 1: missing column\(s\) Answer"):
        list(read_xlsx(path, required=["Answer"]))


def test_xlsx_not_a_workbook(tmp_path):
    path = write(tmp_path, "fake.xlsx", "this is not a zip")
    with pytest.raises(InputError, match=r"fake\.xlsx: not a readable \.xlsx workbook"):
        list(read_xlsx(path))


def test_streamed_json_array_and_truncation(tmp_path):
    good = write(tmp_path, "t.json", '{"Definition": ["d"], "Instances": [{"id": "a"}, {"id": "b"}]}')
    assert [item["id"] for _, item in iter_json_array(good, "Instances.item")] == ["a", "b"]
    bad = write(tmp_path, "u.json", '{"Instances": [{"id": "a"}, {"id": "b"')
    with pytest.raises(InputError, match=r"u\.json, after record 1: truncated or malformed JSON"):
        list(iter_json_array(bad, "Instances.item"))


def test_xml_stream_and_malformed(tmp_path):
    good = write(tmp_path, "q.xml", "<root><q id='1'>a</q><q id='2'>b</q></root>")
    assert [e.get("id") for _, e in iter_xml(good, "q")] == ["1", "2"]
    bad = write(tmp_path, "b.xml", "<root>\n<q>a</q>\n<q>b</root>")
    with pytest.raises(InputError, match=r"b\.xml, line 3, column \d+: malformed XML"):
        list(iter_xml(bad, "q"))


def test_pubtator_line_sentence_spans_protect_mentions_line_by_line():
    """Every line break ends a sentence; a mention protects the cuts inside it on its own line only,
    including one that starts at a line's first or ends at its last character."""
    from medsins.formats import line_sentence_spans

    text = "First line. Second part.\nAspirin. Heparin here. Third.\nLast line. End."
    line2, line3 = text.index("Aspirin"), text.index("Last")

    def sentences(protected):
        return [text[s:e] for s, e in line_sentence_spans(text, protected)]

    assert sentences([]) == ["First line.", "Second part.", "Aspirin.", "Heparin here.", "Third.", "Last line.", "End."]
    assert sentences([(line2, line2 + len("Aspirin. Heparin"))]) == [
        "First line.", "Second part.", "Aspirin. Heparin here.", "Third.", "Last line.", "End."]
    assert sentences([(line3 + len("Last "), len(text))]) == [
        "First line.", "Second part.", "Aspirin.", "Heparin here.", "Third.", "Last line. End."]
    # A mention across a line break protects nothing: the lines are cut anyway.
    assert sentences([(text.index("here"), line3 + len("Last"))]) == sentences([])


def test_pubtator_text_sentence_spans_cut_from_the_first_character():
    from medsins.formats import text_sentence_spans

    text = ". Next one. Then more."
    assert [text[s:e] for s, e in text_sentence_spans(text)] == [".", "Next one.", "Then more."]


def test_pubtator_sentence_spans_title_and_abstract():
    """The title is one sentence (even with a ". X" inside), cut from the abstract unless a
    mention crosses from one into the other; a title-only document is one span (none if blank)."""
    from medsins.formats import Document, Mention, sentence_spans

    def sentences(doc):
        return [doc.text[s:e] for s, e in sentence_spans(doc)]

    assert sentence_spans(Document("1", title="Aspirin works.")) == [(0, 14)]
    assert sentence_spans(Document("1", title="  ")) == []
    doc = Document("2", title="Aspirin vs. heparin. A trial.", abstract="Heparin won. Warfarin lost.")
    assert sentences(doc) == ["Aspirin vs. heparin. A trial.", "Heparin won.", "Warfarin lost."]
    # A mention that starts the abstract does not protect the title's end; one across it does.
    ulcers = Document("3", title="Aspirin.", abstract="Ulcers were seen. Then healed.",
                      mentions=[Mention(9, 15, "Ulcers", "Disease", "")])
    assert sentences(ulcers) == ["Aspirin.", "Ulcers were seen.", "Then healed."]
    dose = Document("4", title="Take 5", abstract="mg daily. Then stop.", mentions=[Mention(5, 9, "5 mg", "Dose", "")])
    assert sentences(dose) == ["Take 5 mg daily.", "Then stop."]
    # The abstract is cut from its first character on, like any text.
    assert sentences(Document("5", title="Title here.", abstract="! Then more.")) == ["Title here.", "!", "Then more."]


@pytest.mark.parametrize(
    ("text", "protected", "sentences"),
    [
        ("Is it safe? Yes it is! Fine.", [], ["Is it safe?", "Yes it is!", "Fine."]),
        ("Dr. Smith came. He left.", [], ["Dr. Smith came.", "He left."]),  # abbreviation at offset 0
        ("Written by J. Smith. Then more.", [], ["Written by J. Smith.", "Then more."]),  # an initial
        ("Malcolm X. Little spoke. Then left.", [], ["Malcolm X. Little spoke.", "Then left."]),
        # A mention ending where the sentence ends does not protect the cut after it.
        ("It was made in the U.S. Then it sold.", [(19, 23)], ["It was made in the U.S.", "Then it sold."]),
    ],
)
def test_pubtator_sentence_cuts(text, protected, sentences):
    from medsins.formats import text_sentence_spans

    assert [text[s:e] for s, e in text_sentence_spans(text, protected)] == sentences
