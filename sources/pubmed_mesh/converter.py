"""PubMed baseline XML -> task107 MeSH indexing (multi-label classification).

Based on NLM's PubMed DTD (``pubmed_250101.dtd``) and the baseline files
``pubmed<YY>n<NNNN>.xml.gz``: a ``<PubmedArticleSet>`` of ``<PubmedArticle>``,
each with ``MedlineCitation/PMID``, ``Article/ArticleTitle``,
``Article/Abstract/AbstractText`` (several, with a ``Label`` attribute in
structured abstracts; inline markup such as ``<i>`` or ``<sup>``) and
``MeshHeadingList/MeshHeading/DescriptorName`` (plus ``QualifierName``s).
Files are streamed with :func:`medsins.formats.iter_xml` (gzip on the fly).

task107: input ``Title: ...`` and ``Abstract: ...`` (labelled sections as
``LABEL: text`` lines), output the MeSH descriptor names in record order,
joined by ``", "`` (qualifiers are dropped, as the upstream definition asks
for headings). A citation without a title, abstract or MeSH headings (not yet
indexed, or never MEDLINE-indexed) cannot make an item and is reported.
``<DeleteCitation>`` blocks are not items. Split: task107 is a training task;
everything is train.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iter_xml
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task107"


def text_of(element: ET.Element | None) -> str:
    """All text inside ``element`` (inline markup kept as text), whitespace-normalised."""
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def abstract_of(article: ET.Element) -> str:
    """The abstract; structured sections become ``LABEL: text`` lines."""
    parts = []
    for section in article.iterfind("Abstract/AbstractText"):
        text = text_of(section)
        if text:
            label = (section.get("Label") or "").strip()
            parts.append(f"{label}: {text}" if label else text)
    return "\n".join(parts)


def mesh_headings(citation: ET.Element) -> list[str]:
    """Descriptor names of the MeSH headings, in order, each once."""
    seen: dict[str, None] = {}
    for descriptor in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName"):
        name = text_of(descriptor)
        if name:
            seen.setdefault(name, None)
    return list(seen)


class Converter(Source):
    """PubMed baseline converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = self.files(raw_dir, "pubmed*n*.xml.gz", required=False) or self.files(raw_dir, "pubmed*n*.xml")
        for path in paths:
            for where, record in iter_xml(path, "PubmedArticle", on_error=report):
                citation = record.find("MedlineCitation")
                pmid = text_of(citation.find("PMID")) if citation is not None else ""
                at = f"{where} (PMID {pmid})" if pmid else where
                article = citation.find("Article") if citation is not None else None
                if citation is None or article is None or not pmid:
                    report(InputError(path, at, "no MedlineCitation/PMID/Article"))
                    continue
                title, abstract = text_of(article.find("ArticleTitle")), abstract_of(article)
                headings = mesh_headings(citation)
                fields = (("title", title), ("abstract", abstract), ("MeSH headings", headings))
                missing = [name for name, value in fields if not value]
                if missing:
                    report(InputError(path, at, f"no {', '.join(missing)}"))
                    continue
                yield Example(task_id=TASK, split=Split.TRAIN, input=f"Title: {title}\nAbstract: {abstract}",
                              output=", ".join(headings), raw_id=pmid, origin=self.origin(path, at))
