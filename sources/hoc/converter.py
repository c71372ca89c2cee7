"""Hallmarks of Cancer (HoC): PubMed abstracts labelled with cancer hallmarks -> task106.

Native files (the sb895/Hallmarks-of-Cancer repository, as the BigBio
``hallmarks_of_cancer`` loader reads it): ``text/<PMID>.txt`` (one sentence per
line) and ``labels/<PMID>.txt`` (one ``<`` per sentence, each followed by that
sentence's labels: ``Hallmark--sub-class``, several joined by ``AND``, empty
or ``NULL`` for none). The repository has no split; the standard one is
BLURB's ``indexing/HoC/{train,dev,test}_pmid.tsv`` (comma-separated document
file names), read when present: ``test_pmid.tsv`` documents feed the test
split (MedS-Bench's classification test), the others train. Without the index
files every abstract is train.

task106 works on whole abstracts: the input is the abstract's sentences
joined by spaces; the output is every hallmark any sentence carries (the
top-level class before ``--``, lower-cased), in the order the task card lists
them, separated by ``, ``; an abstract with no hallmark gives ``none``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_text
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

#: The ten hallmarks, in the order of task106's definition.
HALLMARKS = (
    "sustaining proliferative signaling", "evading growth suppressors", "resisting cell death",
    "enabling replicative immortality", "inducing angiogenesis", "activating invasion and metastasis",
    "genomic instability and mutation", "tumor promoting inflammation", "cellular energetics",
    "avoiding immune destruction",
)
_INDEX = {"train_pmid.tsv": Split.TRAIN, "dev_pmid.tsv": Split.TRAIN, "test_pmid.tsv": Split.TEST}


class Converter(Source):
    """Hallmarks of Cancer converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        splits = self._splits(raw_dir)
        labels = [p for p in self.files(raw_dir, "*.txt") if p.parent.name == "labels"]
        if not labels:
            raise InputError(raw_dir, None, "no HoC labels/<PMID>.txt file")
        for path in labels:
            pmid = path.stem
            text_path = path.parent.parent / "text" / path.name
            where = f"document {pmid}"
            if not text_path.exists():
                report(InputError(path, None, f"no text/{path.name} for these labels"))
                continue
            sentences = [s.strip() for s in read_text(text_path, "utf-8").strip("\n").split("\n")]
            per_sentence = read_text(path, "utf-8", allow_empty=True).strip("\n").split("<")[1:]
            if len(per_sentence) != len(sentences):
                report(InputError(path, None, f"{len(per_sentence)} label groups for {len(sentences)} sentences"))
                continue
            found: set[str] = set()
            unknown = ""
            for group in per_sentence:
                for label in re.split("AND", group):
                    name = label.split("--")[0].strip().lower()
                    if name in ("", "null"):
                        continue
                    if name not in HALLMARKS:
                        unknown = name
                    found.add(name)
            if unknown:
                report(InputError(path, None, f"unknown hallmark {unknown!r}"))
                continue
            output = ", ".join(h for h in HALLMARKS if h in found) or "none"
            yield Example(task_id="task106", split=splits.get(pmid, Split.TRAIN),
                          input=" ".join(s for s in sentences if s), output=output, raw_id=pmid,
                          origin=self.origin(path, where))

    def _splits(self, raw_dir: Path) -> dict[str, Split]:
        """PMID -> split from BLURB's index files (empty when there are none)."""
        splits: dict[str, Split] = {}
        for path in self.files(raw_dir, "*_pmid.tsv", required=False):
            if path.name not in _INDEX:
                continue
            for name in re.split(r"[,\s]+", read_text(path, "utf-8", allow_empty=True)):
                if name:
                    splits[name.removesuffix(".txt")] = _INDEX[path.name]
        return splits
