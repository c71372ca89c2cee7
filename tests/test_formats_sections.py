"""split_sections: top-level report headers only, in order, same-line text kept."""

from __future__ import annotations

from medsins.formats.sections import first_section, one_line, split_sections

REPORT = """                                 FINAL REPORT
 EXAMINATION:  CHEST (PA AND LAT)

 INDICATION:  ___ year old with cough.

 FINDINGS:

 LUNGS: Clear, without focal
 consolidation.
 HEART: Normal size.

 IMPRESSION: No acute cardiopulmonary process.
"""


def test_sections_in_order_with_sub_headings_kept_inside():
    sections = split_sections(REPORT)
    assert sections[0] == ("", "FINAL REPORT")  # a title line, no colon
    assert [name for name, _ in sections[1:]] == ["EXAMINATION", "INDICATION", "FINDINGS", "IMPRESSION"]
    assert first_section(sections, "EXAM", "EXAMINATION") == "CHEST (PA AND LAT)"
    findings = first_section(sections, "FINDINGS")
    assert findings == "LUNGS: Clear, without focal\n consolidation.\n HEART: Normal size."
    assert one_line(findings) == "LUNGS: Clear, without focal consolidation. HEART: Normal size."
    assert first_section(sections, "IMPRESSION") == "No acute cardiopulmonary process."


def test_text_before_first_header_and_missing_sections():
    sections = split_sections("WET READ: ___ no ptx\nsome text\nIMPRESSION:\n")
    assert sections == [("WET READ", "___ no ptx\nsome text"), ("IMPRESSION", "")]
    assert first_section(sections, "FINDINGS") is None
    assert split_sections("just text, no headers") == [("", "just text, no headers")]
    assert split_sections("Note: lower-case is not a header") == [("", "Note: lower-case is not a header")]
