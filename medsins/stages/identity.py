"""One record per id: the convert stage's guarantee, whatever the converter does.

A record id is a hash of (task, source, split, raw id), and real corpora repeat
raw items: a file appended to another, a document listed twice, ids that are
unique only inside one folder. :class:`IdentityIndex` sees every record's id,
input and output as it is converted (24 bytes a record, in memory) and then
decides, for every group of records that share an id, in converter order:

* the first occurrence keeps the id;
* a later one with the same input and output is a ``duplicate`` of the first
  such record;
* a later one with the same input but another output is a ``conflict``: it and
  every record it disagrees with are quarantined (never silently resolved);
* a later one with another input is a different item whose raw id is not
  unique (a converter defect that ``check-source`` fails): it is kept.

Every occurrence after the first gets a new id derived from the group's id and
its occurrence number, so ledger rows and release rows have unique ids too.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass

import numpy as np

#: Fates the identity check gives (``kept`` records are not listed).
DUPLICATE = "duplicate"
CONFLICT = "conflict"


def _key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def occurrence_id(base_id: str, occurrence: int) -> str:
    """The id of the ``occurrence``-th record (2, 3, …) that shares ``base_id``."""
    task, _, _ = base_id.partition("-")
    digest = hashlib.blake2b(f"{base_id}#{occurrence}".encode(), digest_size=8).hexdigest()
    return f"{task}-{digest}"


@dataclass(frozen=True)
class Resolution:
    """What happens to one record of a group of records that share an id.

    ``fate`` is ``kept``, :data:`DUPLICATE` or :data:`CONFLICT`; ``other`` is the
    row the fate points to (the kept original, or a record it conflicts with);
    ``id`` is the record's id after the check (a new one for later occurrences).
    """

    row: int
    fate: str
    id: str
    other: int | None = None


class IdentityIndex:
    """Ids, inputs and outputs of converted records, as 64-bit keys, in row order."""

    def __init__(self) -> None:
        self._ids = array("Q")
        self._inputs = array("Q")
        self._contents = array("Q")

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, record_id: str, input_text: str, output_text: str) -> None:
        """Note the next record (row ``len(self)``)."""
        self._ids.append(int(record_id.rsplit("-", 1)[1], 16))
        self._inputs.append(_key(input_text))
        self._contents.append(_key(input_text + "\x1f" + output_text))

    def groups(self) -> list[np.ndarray]:
        """Rows of every group of records sharing an id, each ascending (groups by first row)."""
        ids = np.frombuffer(self._ids, dtype=np.uint64) if len(self._ids) else np.zeros(0, np.uint64)
        order = np.argsort(ids, kind="stable")
        ordered = ids[order]
        same = ordered[1:] == ordered[:-1]
        if not same.any():
            return []
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        ends = np.append(starts[1:], len(ordered))
        groups = [order[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e - s > 1]
        return sorted(groups, key=lambda g: int(g[0]))

    def resolve(self, id_of: dict[int, str]) -> tuple[dict[int, Resolution], list[tuple[int, int]]]:
        """Decide every record of every group (see the module docstring).

        ``id_of`` maps the first row of each group to its id. Returns the
        resolutions by row and the (row, first row) pairs of kept records whose
        raw id was not unique (different inputs under one id).
        """
        existing = np.sort(np.frombuffer(self._ids, dtype=np.uint64)) if len(self._ids) else np.zeros(0, np.uint64)
        added: set[int] = set()  # new ids given here; the existing ones stay in the sorted array

        def taken(key: int) -> bool:
            i = int(np.searchsorted(existing, np.uint64(key)))
            return key in added or (i < len(existing) and int(existing[i]) == key)
        out: dict[int, Resolution] = {}
        collisions: list[tuple[int, int]] = []
        for group in self.groups():
            rows = group.tolist()
            base = id_of[rows[0]]
            ids = {rows[0]: base}
            occurrence = 1
            for row in rows[1:]:
                occurrence += 1
                new = occurrence_id(base, occurrence)
                while taken(int(new.rsplit("-", 1)[1], 16)):  # never reuse an id in this source
                    occurrence += 1
                    new = occurrence_id(base, occurrence)
                added.add(int(new.rsplit("-", 1)[1], 16))
                ids[row] = new
            fates: dict[int, tuple[str, int | None]] = {rows[0]: ("kept", None)}
            for i, row in enumerate(rows[1:], start=1):
                earlier = rows[:i]
                same = next((e for e in earlier if self._contents[e] == self._contents[row]
                             and fates[e][0] != DUPLICATE), None)
                clash = [e for e in earlier if self._inputs[e] == self._inputs[row]
                         and self._contents[e] != self._contents[row] and fates[e][0] != DUPLICATE]
                if same is not None:
                    fates[row] = (DUPLICATE, same)
                    if fates[same][0] == CONFLICT:  # a copy of a quarantined record is quarantined too
                        fates[row] = (CONFLICT, fates[same][1])
                elif clash:
                    fates[row] = (CONFLICT, clash[0])
                    for e in clash:
                        if fates[e][0] == "kept":
                            fates[e] = (CONFLICT, row)
                else:
                    fates[row] = ("kept", None)
                    collisions.append((row, rows[0]))
            for row in rows:
                fate, other = fates[row]
                out[row] = Resolution(row, fate, ids[row], other)
        return out, collisions
