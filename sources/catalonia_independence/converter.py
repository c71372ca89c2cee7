"""Catalonia Independence Corpus (CIC): stance of Spanish and Catalan tweets -> task39.

Native files (the ixa-ehu/catalonia-independence-corpus zips ``01_CIC_CA.zip``
and ``02_CIC_ES.zip``, as the Hugging Face ``catalonia_independence`` loader
reads them): ``catalan_{train,val,test}.csv`` and ``spanish_{train,val,test}.csv``,
**tab**-separated despite the extension, with a header ``id_str<TAB>TWEET<TAB>LABEL``;
labels ``AGAINST``, ``FAVOR``, ``NEUTRAL``. A tweet holding ``"`` is written
quoted with doubled quotes (pandas ``to_csv``), so standard CSV quoting applies.

task39 is a training task: every file goes to the train split. The input
language is the file's (``catalan`` -> ca, ``spanish`` -> es); the output is
``Against``, ``Favor`` or ``Neutral``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_LANGUAGES = {"catalan": "ca", "spanish": "es"}
_LABELS = {"AGAINST": "Against", "FAVOR": "Favor", "NEUTRAL": "Neutral"}
_PARTS = ("train", "val", "test")


class Converter(Source):
    """Catalonia Independence Corpus converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [p for p in self.files(raw_dir, "*.csv")
                 if p.stem.partition("_")[0] in _LANGUAGES and p.stem.partition("_")[2] in _PARTS]
        if not paths:
            raise InputError(raw_dir, None, "no CIC file ({catalan,spanish}_{train,val,test}.csv)")
        for path in paths:
            language = _LANGUAGES[path.stem.partition("_")[0]]
            for where, row in read_csv(path, delimiter="\t", required=("id_str", "TWEET", "LABEL"), on_error=report):
                label = _LABELS.get(row["LABEL"].strip().upper())
                tweet = row["TWEET"].strip()
                if label is None or not tweet:
                    problem = f"expected a tweet and AGAINST/FAVOR/NEUTRAL, found {row['LABEL']!r}"
                    report(InputError(path, where, problem))
                    continue
                yield Example(task_id="task39", split=Split.TRAIN, input=tweet, output=label,
                              raw_id=f"{path.stem}-{row['id_str'].strip() or where}", origin=self.origin(path, where),
                              input_language=language, output_language="en")
