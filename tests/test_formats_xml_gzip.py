"""iter_xml on gzip-compressed XML (PubMed baseline files are .xml.gz); several tags; xml_root_tag."""

from __future__ import annotations

import gzip

import pytest

from medsins.errors import InputError, UnreadableError
from medsins.formats import iter_xml
from medsins.formats.xml import xml_root_tag


def test_gz_streams_like_plain(tmp_path):
    text = b"<set><a id='1'><b>x</b></a><a id='2'/></set>"
    plain, packed = tmp_path / "f.xml", tmp_path / "f.xml.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    assert [(w, e.get("id")) for w, e in iter_xml(packed, "a")] == [(w, e.get("id")) for w, e in iter_xml(plain, "a")]
    assert [w for w, _ in iter_xml(packed, "a")] == ["element <a> #1", "element <a> #2"]


def test_truncated_gz_is_an_input_error(tmp_path):
    packed = tmp_path / "f.xml.gz"
    packed.write_bytes(gzip.compress(b"<set>" + b"<a/>" * 2000 + b"</set>")[:40])
    with pytest.raises(InputError) as info:
        list(iter_xml(packed, "a"))
    assert info.value.path == str(packed)
    assert "cannot decompress" in info.value.problem or "malformed XML" in info.value.problem


def test_not_gzip_is_an_input_error(tmp_path):
    packed = tmp_path / "f.xml.gz"
    packed.write_bytes(b"<set><a/></set>")
    with pytest.raises(InputError, match="cannot decompress"):
        list(iter_xml(packed, "a"))


def test_several_tags_in_document_order(tmp_path):
    """One reader for files whose records have different tags (MedQuAD: <Document>, <doc>, <DiseaseFile>)."""
    text = b"<set><a id='1'/><b id='2'><a id='3'/></b><c id='4'/></set>"
    for path in (tmp_path / "f.xml", tmp_path / "f.xml.gz"):
        path.write_bytes(gzip.compress(text) if path.suffix == ".gz" else text)
        got = [(w, e.tag, e.get("id")) for w, e in iter_xml(path, ("a", "c"))]
        assert got == [("element <a> #1", "a", "1"), ("element <a> #2", "a", "3"), ("element <c> #3", "c", "4")]
        assert xml_root_tag(path) == "set"


def test_xml_root_tag_errors(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"no xml here")
    with pytest.raises(InputError, match="malformed XML"):
        xml_root_tag(bad)
    reported: list[InputError] = []
    assert xml_root_tag(bad, on_error=reported.append) is None
    assert len(reported) == 1 and isinstance(reported[0], UnreadableError)
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="file is empty"):
        xml_root_tag(empty)
