"""OBO reader: stanzas, comments, quoted values with escapes, bad lines."""

from __future__ import annotations

import pytest

from medsins.errors import InputError
from medsins.formats import quoted, read_obo
from medsins.formats.obo import strip_comment

OBO = """format-version: 1.2
data-version: doid/releases/2099-01-01/doid.obo
ontology: doid

[Term]
id: DOID:0001
name: imaginary fever
def: "A fever with \\"quotes\\" that lasts!" [url:http\\://example.org/x] {comment="c"}
synonym: "made-up pyrexia" EXACT []
synonym: "dream fever" RELATED [XREF:1]
is_a: DOID:0002 ! made-up disease

[Term]
id: DOID:0002
name: made-up disease
is_obsolete: true

[Typedef]
id: part_of
name: part of
"""


def test_stanzas_and_tags(tmp_path):
    path = tmp_path / "doid.obo"
    path.write_text(OBO, encoding="utf-8")
    stanzas = list(read_obo(path))
    assert [(where, s.kind, s.id) for where, s in stanzas] == [
        ("line 5", "Term", "DOID:0001"), ("line 13", "Term", "DOID:0002"), ("line 18", "Typedef", "part_of"),
    ]
    term = stanzas[0][1]
    assert term.first("name") == "imaginary fever"
    assert term.all("is_a") == ["DOID:0002"]
    assert len(term.all("synonym")) == 2 and term.all("xref") == []
    assert quoted(term.first("def")) == ('A fever with "quotes" that lasts!', "[url:http\\://example.org/x]")
    assert quoted(term.all("synonym")[0]) == ("made-up pyrexia", "EXACT []")
    assert not term.obsolete and stanzas[1][1].obsolete


def test_strip_comment_respects_quotes():
    assert strip_comment('"Wow! really" EXACT [] ! comment') == '"Wow! really" EXACT []'
    assert strip_comment("DOID:4 {source=\"x\"} ! disease") == "DOID:4"


def test_quoted_errors():
    with pytest.raises(ValueError):
        quoted("no quotes")
    with pytest.raises(ValueError):
        quoted('"never closed')


def test_bad_line_rejects_its_stanza(tmp_path):
    path = tmp_path / "doid.obo"
    path.write_text("[Term]\nid: DOID:1\nthis line has no colon\n\n[Term]\nid: DOID:2\n", encoding="utf-8")
    problems: list[InputError] = []
    stanzas = [s.id for _, s in read_obo(path, on_error=problems.append)]
    assert stanzas == ["DOID:2"]
    assert [(p.where, p.path) for p in problems] == [("line 3", str(path))]
