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

The released files hold a few tweets twice (same id in train and val/test, or
twice in one file) with two different labels; such a tweet has no single
stance, so every occurrence of it is reported and none is converted. A tweet
repeated with the same label is kept (the dedup stage removes the repeat); a
repeated tweet id gets the line appended to its raw_id so record ids stay unique.
"""

from __future__ import annotations

from collections import defaultdict
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
        # Two passes: a tweet's labels across all files are known before any is converted.
        tweets: list[tuple[Path, str, str, str, str]] = []
        labels: dict[str, set[str]] = defaultdict(set)
        for path in paths:
            for where, row in read_csv(path, delimiter="\t", required=("id_str", "TWEET", "LABEL"), on_error=report):
                label = _LABELS.get(row["LABEL"].strip().upper())
                tweet = row["TWEET"].strip()
                if label is None or not tweet:
                    problem = f"expected a tweet and AGAINST/FAVOR/NEUTRAL, found {row['LABEL']!r}"
                    report(InputError(path, where, problem))
                    continue
                tweets.append((path, where, row["id_str"].strip(), tweet, label))
                labels[tweet].add(label)
        raw_ids: set[str] = set()
        for path, where, tweet_id, tweet, label in tweets:
            if len(labels[tweet]) > 1:
                problem = f"the same tweet is labelled {'/'.join(sorted(labels[tweet]))} in the corpus"
                report(InputError(path, where, problem))
                continue
            raw_id = f"{path.stem}-{tweet_id or where}"
            if raw_id in raw_ids:
                raw_id = f"{raw_id}-{where.removeprefix('line ')}"
            raw_ids.add(raw_id)
            yield Example(task_id="task39", split=Split.TRAIN, input=tweet, output=label,
                          raw_id=raw_id, origin=self.origin(path, where),
                          input_language=_LANGUAGES[path.stem.partition("_")[0]], output_language="en")
