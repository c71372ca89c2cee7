"""Human Disease Ontology (DO): names, synonyms, definitions and is_a links -> tasks 45-47.

Native file (the DiseaseOntology/HumanDiseaseOntology release, ``src/ontology/doid.obo``;
also ``doid-merged.obo`` / ``doid-non-classified.obo``, read the same way):
OBO 1.2 read with :func:`medsins.formats.read_obo`. Only ``[Term]`` stanzas
with a ``DOID:`` id, a ``name`` and no ``is_obsolete: true`` are used
(obsolete terms are retired on purpose and are skipped, not reported).

* task45 (synonyms): a term's name -> its ``EXACT`` synonyms, joined by ``; ``
  (terms without an exact synonym give no record).
* task46 (explanation): a term's name -> the text of its ``def:``.
* task47 (relation): ``Word1: ...`` / ``Word2: ...`` -> ``synonym`` (the name and
  its first exact synonym), ``child`` (Word1 is a subtype of Word2: the term
  and its first ``is_a`` parent), ``parent`` (the same pair reversed: Word1 is
  the broader term) or ``unrelated`` (the term and the term half the ontology
  away in id order, when neither is an ancestor or a synonym of the other).
  Each (Word1, Word2) pair is emitted once.

DO has no train/test split: every record is train (the MedS-Bench test of
task46 comes from the upstream release and is kept apart by decontamination).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import quoted, read_obo
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split


@dataclass(frozen=True)
class _Term:
    id: str
    name: str
    definition: str
    synonyms: tuple[str, ...]
    parents: tuple[str, ...]
    origin: str


class Converter(Source):
    """Human Disease Ontology converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "doid*.obo"):
            terms = self._terms(path, report)
            if not terms:
                report(InputError(path, None, "no usable [Term] stanza (id DOID:..., name, not obsolete)"))
                continue
            yield from self._examples(path.stem, terms)

    def _terms(self, path: Path, report: Reporter) -> dict[str, _Term]:
        terms: dict[str, _Term] = {}
        for where, stanza in read_obo(path, on_error=report):
            if stanza.kind != "Term" or not stanza.id.startswith("DOID:") or stanza.obsolete:
                continue
            name = stanza.first("name").strip()
            if not name:
                report(InputError(path, where, f"{stanza.id} has no name"))
                continue
            definition, synonyms = "", []
            try:
                if stanza.first("def"):
                    definition = quoted(stanza.first("def"))[0].strip()
                for value in stanza.all("synonym"):
                    text, rest = quoted(value)
                    if rest.split(" ")[0] == "EXACT" and text.strip() and text.strip() != name:
                        synonyms.append(text.strip())
            except ValueError as exc:
                report(InputError(path, where, f"{stanza.id}: {exc}"))
                continue
            parents = tuple(p.split()[0] for p in stanza.all("is_a") if p.startswith("DOID:"))
            terms[stanza.id] = _Term(stanza.id, name, definition, tuple(dict.fromkeys(synonyms)), parents,
                                     self.origin(path, f"{where} ({stanza.id})"))
        return terms

    def _examples(self, stem: str, terms: dict[str, _Term]) -> Iterator[Example]:
        order = sorted(terms)
        pairs: set[tuple[str, str]] = set()
        lineage: dict[str, frozenset[str]] = {}

        def ancestors(ident: str) -> frozenset[str]:
            # Iterative, memoised walk up the is_a links (cycles are tolerated).
            if ident in lineage:
                return lineage[ident]
            seen: set[str] = set()
            stack = [p for p in terms[ident].parents if p in terms]
            while stack:
                current = stack.pop()
                if current not in seen:
                    seen.add(current)
                    stack.extend(p for p in terms[current].parents if p in terms)
            lineage[ident] = frozenset(seen)
            return lineage[ident]

        def pair(task_raw: str, first: str, second: str, relation: str, origin: str) -> Iterator[Example]:
            if (first, second) in pairs or first == second:
                return
            pairs.add((first, second))
            yield Example(task_id="task47", split=Split.TRAIN, input=f"Word1: {first}\nWord2: {second}",
                          output=relation, raw_id=f"{stem}-{task_raw}", origin=origin)

        for index, ident in enumerate(order):
            term = terms[ident]
            if term.synonyms:
                yield Example(task_id="task45", split=Split.TRAIN, input=term.name, output="; ".join(term.synonyms),
                              raw_id=f"{stem}-{ident}", origin=term.origin)
            if term.definition:
                yield Example(task_id="task46", split=Split.TRAIN, input=term.name, output=term.definition,
                              raw_id=f"{stem}-{ident}", origin=term.origin)
            if term.synonyms:
                yield from pair(f"{ident}:synonym", term.name, term.synonyms[0], "synonym", term.origin)
            parent = next((terms[p] for p in term.parents if p in terms), None)
            if parent is not None:
                yield from pair(f"{ident}>{parent.id}:child", term.name, parent.name, "child", term.origin)
                yield from pair(f"{parent.id}>{ident}:parent", parent.name, term.name, "parent", term.origin)
            other = terms[order[(index + len(order) // 2) % len(order)]]
            related = other.id == ident or other.id in ancestors(ident) or ident in ancestors(other.id)
            if not related and other.name not in term.synonyms and term.name not in other.synonyms:
                yield from pair(f"{ident}>{other.id}:unrelated", term.name, other.name, "unrelated", term.origin)
