"""iter_xml on gzip-compressed XML (PubMed baseline files are .xml.gz)."""

from __future__ import annotations

import gzip

import pytest

from medsins.errors import InputError
from medsins.formats import iter_xml


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
