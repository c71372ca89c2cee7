"""TMX reader: languages by primary subtag, inline markup, UTF-16 files, bad XML."""

from __future__ import annotations

import pytest

from medsins.errors import InputError
from medsins.formats import read_tmx

TMX = """<?xml version="1.0" encoding="{encoding}"?>
<tmx version="1.4">
<header creationtool="x" srclang="EN-GB" segtype="sentence" datatype="plaintext" o-tmf="x" adminlang="EN"/>
<body>
<tu tuid="7"><prop type="Txt::Doc. No.">D1</prop>
<tuv xml:lang="EN-GB"><seg>Wash your hands.</seg></tuv>
<tuv xml:lang="SV"><seg>Tvätta händerna.</seg></tuv>
<tuv xml:lang="DE"><seg>Hände <ph x="1">&lt;b&gt;</ph>waschen.</seg></tuv>
</tu>
<tu>
<tuv xml:lang="FR"><seg>Lavez-vous les mains.</seg></tuv>
<tuv xml:lang="EN"><seg>  </seg></tuv>
</tu>
</body>
</tmx>
"""


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16"])
def test_units_languages_and_encodings(tmp_path, encoding):
    path = tmp_path / "ECDC.tmx"
    path.write_bytes(TMX.format(encoding=encoding).encode(encoding.lower()))
    units = list(read_tmx(path))
    assert [where for where, _ in units] == ["tu 1", "tu 2"]
    first, second = units[0][1], units[1][1]
    assert first.tuid == "7"
    assert first.get("en") == "Wash your hands." and first.get("sv") == "Tvätta händerna."
    assert first.get("de") == "Hände <b>waschen."
    assert second.get("fr") == "Lavez-vous les mains."
    assert second.get("en") is None and second.get("sv") is None


def test_malformed_tmx_names_line(tmp_path):
    path = tmp_path / "ECDC.tmx"
    path.write_text('<tmx><body><tu><tuv xml:lang="EN"><seg>x</seg></tu></body></tmx>', encoding="utf-8")
    with pytest.raises(InputError, match="malformed XML") as info:
        list(read_tmx(path))
    assert info.value.path == str(path) and "line 1" in info.value.where
