"""LitCovid (BioCreative VII track 5): topics of COVID-19 articles -> task108.

Native files (the NCBI FTP release the BigBio ``bc7_litcovid`` loader reads):
``BC7-LitCovid-Train.csv``, ``BC7-LitCovid-Dev.csv`` and ``BC7-LitCovid-Test-GS.csv``
(gold standard), comma-separated with CSV quoting and a header
``pmid,journal,title,abstract,keywords,pub_type,authors,doi,label``; ``label``
holds one or more topics separated by ``;`` (Treatment, Diagnosis, Prevention,
Mechanism, Transmission, Epidemic Forecasting, Case Report). The unlabelled
``BC7-LitCovid-Test.csv`` has no gold topics and is not read.

task108 asks for the article's topics from its label set (prevention, treatment,
diagnosis, mechanism, case report, transmission, forecasting, general), comma-
separated in that order when several apply (LitCovid is multi-label; picking one
would be arbitrary). An unknown topic is reported. task108 is a
training task: every file goes to the train split. Input: the title and the
abstract (title alone when the abstract is empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_FILES = ("BC7-LitCovid-Train.csv", "BC7-LitCovid-Dev.csv", "BC7-LitCovid-Test-GS.csv")
_TOPICS = {
    "prevention": "prevention", "treatment": "treatment", "diagnosis": "diagnosis", "mechanism": "mechanism",
    "case report": "case report", "transmission": "transmission", "epidemic forecasting": "forecasting",
    "forecasting": "forecasting", "general": "general", "general info": "general",
}


def _ordered(topics: list[str]) -> list[str]:
    """Topics in the task card's order, so the same set always gives the same output."""
    order = list(dict.fromkeys(_TOPICS.values()))
    return sorted(topics, key=order.index)


class Converter(Source):
    """LitCovid converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [p for p in self.files(raw_dir, "BC7-LitCovid-*.csv") if p.name in _FILES]
        if not paths:
            raise InputError(raw_dir, None, f"no LitCovid gold file ({', '.join(_FILES)})")
        for path in paths:
            for where, row in read_csv(path, required=("pmid", "title", "abstract", "label"), on_error=report):
                pmid = row["pmid"].strip()
                title, abstract = row["title"].strip(), row["abstract"].strip()
                raw = [t.strip() for t in row["label"].split(";") if t.strip()]
                topics = list(dict.fromkeys(_TOPICS.get(t.lower(), "") for t in raw))
                if not title and not abstract:
                    report(InputError(path, where, f"PMID {pmid}: no title and no abstract"))
                elif not topics or "" in topics:
                    report(InputError(path, where, f"PMID {pmid}: unknown topic in {row['label']!r}"))
                else:
                    text = f"Title: {title}\nAbstract: {abstract}" if abstract else f"Title: {title}"
                    yield Example(task_id="task108", split=Split.TRAIN, input=text, output=", ".join(_ordered(topics)),
                                  raw_id=f"{path.stem}-{pmid}", origin=self.origin(path, f"{where} (PMID {pmid})"))
