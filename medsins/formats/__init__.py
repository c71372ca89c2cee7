"""Shared readers for the native formats corpora ship in.

Every reader yields ``(where, item)`` pairs, where ``where`` is a human
location ("line 12", "record 3", "sheet Instances, row 7"), so a converter can
name the exact place of a problem. A problem with one item goes to the
``on_error`` callback when one is given (the item is skipped); a problem with
the whole file (truncated JSON, wrong encoding, missing column) raises
:class:`~medsins.errors.InputError` naming the file.
"""

from medsins.formats.brat import BratDocument, BratEntity, iter_brat, read_brat
from medsins.formats.csvfile import read_csv, stream_csv
from medsins.formats.iob import BIOBERT_FILES, Sentence, TaggedSentence, iob_entities, read_iob, read_iob_mentions
from medsins.formats.jsonfile import Skipped, iter_json_array, read_json, read_json_header, read_jsonl
from medsins.formats.obo import Stanza, quoted, read_obo
from medsins.formats.pubtator import (
    Document,
    Mention,
    line_sentence_spans,
    read_pubtator,
    sentence_spans,
    text_sentence_spans,
)
from medsins.formats.text import iter_lines, read_text
from medsins.formats.tmx import TranslationUnit, read_tmx
from medsins.formats.xlsx import read_xlsx, read_xlsx_rows, sheet_names
from medsins.formats.xml import iter_xml

__all__ = [
    "BIOBERT_FILES",
    "BratDocument",
    "BratEntity",
    "Document",
    "Mention",
    "Sentence",
    "Skipped",
    "Stanza",
    "TaggedSentence",
    "TranslationUnit",
    "iob_entities",
    "iter_brat",
    "iter_json_array",
    "iter_lines",
    "iter_xml",
    "line_sentence_spans",
    "quoted",
    "read_brat",
    "read_csv",
    "read_iob",
    "read_iob_mentions",
    "read_json",
    "read_json_header",
    "read_jsonl",
    "read_obo",
    "read_pubtator",
    "read_text",
    "read_tmx",
    "read_xlsx",
    "read_xlsx_rows",
    "sentence_spans",
    "sheet_names",
    "stream_csv",
    "text_sentence_spans",
]
