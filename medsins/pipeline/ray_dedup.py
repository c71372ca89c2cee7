"""The dedup stage's index on a Ray cluster: the same groups as :class:`~medsins.stages.dedup.InputIndex`.

:func:`ray_index` computes what ``InputIndex.groups()`` computes on one
machine — the records that share an exact- or near-duplicate component of
their inputs — as three rounds of Ray tasks and one step on the driver::

    sketch   one task a part (≤ BATCH rows of one filtered file): normalise, digest,
             MinHash signature, LSH band keys, shingle hashes (the local engine's
             ``_sketch_job``). Sketches are written to ``work/dedup/parts/``; the
             task returns the part's record digests and, hash-partitioned by band
             key, one ``(band, key, digest, part, row)`` entry a band and distinct input.
    bucket   one task a band-key partition (the shuffle): entries sorted by (band,
             key, digest); inside a bucket each input is paired with its next
             ``window - 1`` members in digest order (``candidate_pairs``' rule, where
             the local index orders inputs by digest too). Candidate pairs are
             hash-partitioned by pair again.
    verify   one task a pair partition: candidates de-duplicated (a pair shares
             several bands), then the local engine's test — estimated Jaccard,
             then the exact Jaccard of the shingle-hash sets — on sketches read back
             from ``work/dedup/parts/``. Returns the verified pairs as digests.
    driver   record digests → distinct inputs in digest order (as the local
             index: 24 bytes a record), verified digest pairs → input numbers,
             connected components, groups.

The verified pair set equals the local engine's (each pair is decided on its
own sketches; the candidate rule is the same on the same order), so the
components, the groups and the drops are the same. The driver holds per record
what the local index holds (digest and slot) and the verified pairs only — never
the candidates, signatures or band keys. Ray is imported by the caller
(:mod:`medsins.pipeline.executors`); this module only receives its ``ray``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from medsins import progress
from medsins.pipeline.workfiles import BATCH
from medsins.stages.dedup import (
    _EXACT_MARGIN,
    _VERIFY_PAIRS,
    Groups,
    _pread_rows,
    _sketch_job,
    group_records,
    number_inputs,
)
from medsins.stages.minhash import agreement, exact_jaccard, recall_params

#: ``candidate_pairs``' bucket window (its default): a bucket pairs each input with its next 63.
WINDOW = 64
#: One shuffle entry: an input's key in one band, its digest and where its sketch is.
ENTRY = np.dtype([("band", "<u2"), ("key", "<u8"), ("d0", "<u8"), ("d1", "<u8"), ("part", "<i4"), ("row", "<i4")])
#: One candidate pair: the two inputs' digests (first < second) and sketch locations.
PAIR = np.dtype([("a0", "<u8"), ("a1", "<u8"), ("b0", "<u8"), ("b1", "<u8"),
                 ("apart", "<i4"), ("arow", "<i4"), ("bpart", "<i4"), ("brow", "<i4")])
_MIX = np.uint64(0x9E3779B97F4A7C15)


def plan_parts(files: list[Path]) -> list[tuple[Path, list[int], int]]:
    """Parts of the filtered records, in row order: ``(file, row groups, rows)``, at most ~BATCH rows each."""
    parts: list[tuple[Path, list[int], int]] = []
    for path in files:
        meta = pq.ParquetFile(path).metadata
        groups: list[int] = []
        rows = 0
        for index in range(meta.num_row_groups):
            groups.append(index)
            rows += meta.row_group(index).num_rows
            if rows >= BATCH:
                parts.append((path, groups, rows))
                groups, rows = [], 0
        if groups:
            parts.append((path, groups, rows))
    return parts


def _part_files(folder: Path, part: int) -> tuple[Path, Path, Path]:
    stem = folder / f"{part:06d}"
    return stem.with_suffix(".sig"), stem.with_suffix(".hash"), stem.with_suffix(".off")


def sketch_part(
    path: Path, row_groups: list[int], part: int, folder: Path, options: dict[str, Any], partitions: int
) -> tuple[Any, ...]:
    """Sketch one part; write its sketches; return its record digests and slots, then the band entries by partition."""
    texts = pq.ParquetFile(path, pre_buffer=False).read_row_groups(row_groups, columns=["input"]).column(0)
    sketch = _sketch_job(texts.combine_chunks(), **options)
    sig_path, hash_path, off_path = _part_files(folder, part)
    sig_path.write_bytes(np.ascontiguousarray(sketch.signatures, dtype="<u4").tobytes())
    if sketch.hashes is not None and sketch.lengths is not None:
        hash_path.write_bytes(np.ascontiguousarray(sketch.hashes, dtype="<u4").tobytes())
        offsets = np.zeros(len(sketch.lengths) + 1, dtype="<i8")
        np.cumsum(sketch.lengths, out=offsets[1:])
        off_path.write_bytes(offsets.tobytes())
    distinct = len(sketch.signatures)
    _, first = np.unique(sketch.slot, return_index=True)  # each distinct input's first record
    digests = sketch.digests[first]
    bands = sketch.bands.shape[0]
    entries = np.empty(bands * distinct, dtype=ENTRY)
    entries["band"] = np.repeat(np.arange(bands, dtype=np.uint16), distinct)
    entries["key"] = sketch.bands.reshape(-1)
    entries["d0"] = np.tile(digests[:, 0], bands)
    entries["d1"] = np.tile(digests[:, 1], bands)
    entries["part"] = part
    entries["row"] = np.tile(np.arange(distinct, dtype=np.int32), bands)
    target = _partition(entries["key"] ^ (entries["band"].astype(np.uint64) * _MIX), partitions)
    return ((sketch.digests, sketch.slot.astype(np.int32)),
            *(entries[target == p] for p in range(partitions)))


def _partition(values: np.ndarray, partitions: int) -> np.ndarray:
    mixed = values * _MIX
    mixed ^= mixed >> np.uint64(31)
    return (mixed % np.uint64(partitions)).astype(np.int64)


def bucket_pairs(partitions: int, *shards: np.ndarray) -> tuple[np.ndarray, ...]:
    """Candidate pairs of one band-key partition, hash-partitioned by pair (``candidate_pairs``' rule)."""
    entries = np.concatenate(shards) if shards else np.empty(0, dtype=ENTRY)
    entries = entries[np.lexsort((entries["d1"], entries["d0"], entries["key"], entries["band"]))]
    if len(entries):  # an input seen in several parts (exact duplicates) is one bucket member
        same = ((entries["band"][1:] == entries["band"][:-1]) & (entries["key"][1:] == entries["key"][:-1])
                & (entries["d0"][1:] == entries["d0"][:-1]) & (entries["d1"][1:] == entries["d1"][:-1]))
        entries = entries[np.concatenate(([True], ~same))]
    if len(entries) > 1:  # only members of buckets of two or more can pair (most inputs share no key)
        same = (entries["band"][1:] == entries["band"][:-1]) & (entries["key"][1:] == entries["key"][:-1])
        shared = np.zeros(len(entries), dtype=bool)
        shared[1:] |= same
        shared[:-1] |= same
        entries = entries[shared]
    found: list[np.ndarray] = []
    for distance in range(1, WINDOW):
        if len(entries) <= distance:
            break
        match = ((entries["band"][distance:] == entries["band"][:-distance])
                 & (entries["key"][distance:] == entries["key"][:-distance]))
        if not match.any():
            break  # no bucket is larger than `distance`
        first, second = entries[:-distance][match], entries[distance:][match]
        pairs = np.empty(len(first), dtype=PAIR)
        pairs["a0"], pairs["a1"], pairs["apart"], pairs["arow"] = first["d0"], first["d1"], first["part"], first["row"]
        pairs["b0"], pairs["b1"], pairs["bpart"], pairs["brow"] = (second["d0"], second["d1"], second["part"],
                                                                     second["row"])
        found.append(pairs)
    pairs = _unique_pairs(np.concatenate(found)) if found else np.empty(0, dtype=PAIR)
    target = _partition(pairs["a0"] ^ (pairs["b0"] * _MIX) ^ pairs["b1"], partitions)
    return tuple(pairs[target == p] for p in range(partitions))


def _unique_pairs(pairs: np.ndarray) -> np.ndarray:
    """Pairs sorted by digests, each once (whichever copy's sketch locations: the sketches are equal)."""
    pairs = pairs[np.lexsort((pairs["b1"], pairs["b0"], pairs["a1"], pairs["a0"]))]
    if len(pairs) < 2:
        return pairs
    same = ((pairs["a0"][1:] == pairs["a0"][:-1]) & (pairs["a1"][1:] == pairs["a1"][:-1])
            & (pairs["b0"][1:] == pairs["b0"][:-1]) & (pairs["b1"][1:] == pairs["b1"][:-1]))
    return pairs[np.concatenate(([True], ~same))]


class PartSketches:
    """Reads signatures and shingle hashes back from ``work/dedup/parts/`` by (part, row)."""

    def __init__(self, folder: Path, num_perm: int) -> None:
        self.folder = folder
        self.num_perm = num_perm
        self._offsets: dict[int, np.ndarray] = {}

    def signatures(self, parts: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``(len(parts), num_perm)`` uint32 signatures."""
        out = np.empty((len(parts), self.num_perm), dtype="<u4")
        size = self.num_perm * 4
        for part in np.unique(parts).tolist():
            at = np.flatnonzero(parts == part)
            block = np.empty((len(at), self.num_perm), dtype="<u4")
            _pread_rows(_part_files(self.folder, part)[0], block.view(np.uint8).reshape(-1),
                        rows[at].astype(np.int64) * size, np.full(len(at), size, dtype=np.int64))
            out[at] = block
        return out.astype(np.uint32, copy=False)

    def hashes(self, parts: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Shingle hashes of the given inputs as ``(hashes, offsets, position)``.

        Input ``i``'s hashes are ``hashes[offsets[position[i]]:offsets[position[i] + 1]]``
        (:func:`exact_jaccard`'s form, inputs laid out part by part).
        """
        order = np.argsort(parts, kind="stable")
        position = np.empty(len(parts), dtype=np.int64)
        position[order] = np.arange(len(parts))
        parts, rows = parts[order], rows[order]
        starts = np.empty(len(parts), dtype=np.int64)
        lengths = np.empty(len(parts), dtype=np.int64)
        bounds = np.flatnonzero(np.concatenate(([True], parts[1:] != parts[:-1], [True])))
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            offsets = self._part_offsets(int(parts[lo]))
            starts[lo:hi] = offsets[rows[lo:hi]]
            lengths[lo:hi] = offsets[rows[lo:hi] + 1] - starts[lo:hi]
        out_offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=out_offsets[1:])
        out = np.empty(int(out_offsets[-1]), dtype="<u4")
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            _pread_rows(_part_files(self.folder, int(parts[lo]))[1],
                        out[out_offsets[lo] : out_offsets[hi]].view(np.uint8), starts[lo:hi] * 4, lengths[lo:hi] * 4)
        return out.astype(np.uint32, copy=False), out_offsets, position

    def _part_offsets(self, part: int) -> np.ndarray:
        if part not in self._offsets:
            self._offsets[part] = np.fromfile(_part_files(self.folder, part)[2], dtype="<i8")
        return self._offsets[part]


def verify_pairs(
    folder: Path, threshold: float, num_perm: int, exact: bool, *shards: np.ndarray
) -> tuple[np.ndarray, int, int]:
    """The candidates of one pair partition that pass the local engine's test, as ``(n, 4)`` uint64 digests.

    Also returns the shuffled pair rows received and the distinct candidates (for the stage's log line).
    """
    received = sum(len(shard) for shard in shards)
    pairs = _unique_pairs(np.concatenate(shards)) if shards else np.empty(0, dtype=PAIR)
    sketches = PartSketches(folder, num_perm)
    kept: list[np.ndarray] = [np.empty(0, dtype=PAIR)]
    for start in range(0, len(pairs), _VERIFY_PAIRS):
        chunk = pairs[start : start + _VERIFY_PAIRS]
        docs_part = np.concatenate([chunk["apart"], chunk["bpart"]])
        docs_row = np.concatenate([chunk["arow"], chunk["brow"]])
        local = np.stack([np.arange(len(chunk)), np.arange(len(chunk), 2 * len(chunk))], axis=1)
        estimate = agreement(sketches.signatures(docs_part, docs_row), local)
        if not exact:
            kept.append(chunk[estimate >= threshold])
            continue
        chunk = chunk[estimate >= threshold - _EXACT_MARGIN]
        if len(chunk) == 0:
            continue
        survivors = np.concatenate([chunk["apart"], chunk["bpart"]]), np.concatenate([chunk["arow"], chunk["brow"]])
        hashes, offsets, position = sketches.hashes(*survivors)
        local = position[np.stack([np.arange(len(chunk)), np.arange(len(chunk), 2 * len(chunk))], axis=1)]
        kept.append(chunk[exact_jaccard(hashes, offsets, local) >= threshold])
    verified = np.concatenate(kept)
    digests = np.stack([verified["a0"], verified["a1"], verified["b0"], verified["b1"]], axis=1).astype(np.uint64)
    return digests, received, len(pairs)


class RayIndex:
    """The groups of the filtered records' inputs, computed by Ray tasks (see the module docstring).

    Offers what :func:`medsins.stages.dedup.resolve` needs of an
    :class:`~medsins.stages.dedup.InputIndex`: :meth:`groups` and :meth:`signatures`.
    """

    def __init__(self, ray: Any, files: list[Path], folder: Path, *, slots: int, threshold: float,
                 num_perm: int, seed: int, verify: str) -> None:
        self._ray = ray
        self.files = files
        self.folder = folder
        self.partitions = max(2, 2 * slots)  # ≥ 2, so a task's num_returns always gives a list
        self.threshold, self.num_perm, self.exact = threshold, num_perm, verify == "exact"
        bands, rows = recall_params(threshold, num_perm)
        self._options = {"num_perm": num_perm, "seed": seed, "exact": self.exact, "bands": bands, "rows": rows}
        self._sketches = PartSketches(folder, num_perm)
        self._input_part: np.ndarray | None = None
        self._input_row: np.ndarray | None = None
        #: What :meth:`groups` measured: parts, records, inputs, shuffle rows and bytes of both rounds,
        #: candidates, verified pairs, seconds in all and seconds the driver computed itself.
        self.stats: dict[str, float] = {}

    def groups(self) -> Groups:
        """Records sharing a near-duplicate component with another record (as ``InputIndex.groups()``)."""
        started = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        parts = plan_parts(self.files)
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            self._input_part = self._input_row = empty
            return Groups(empty, np.zeros(1, dtype=np.int64), empty)
        record_refs, verified = self._submit(parts)
        digests: list[np.ndarray] = []
        slots: list[np.ndarray] = []
        band_entries = 0
        for number, ref in enumerate(record_refs):
            record_digests, record_slots = self._ray.get(ref)
            record_refs[number] = None  # the object store may free it
            progress.records(len(record_digests))
            digests.append(record_digests)
            slots.append(record_slots.astype(np.int64) + (number << 32))  # part and row in one int64
            band_entries += (int(record_slots.max()) + 1 if len(record_slots) else 0) * self._options["bands"]
        driver = time.perf_counter()
        record_input, input_slot, distinct = _distinct_inputs(digests, slots)
        self._input_part, self._input_row = input_slot >> 32, input_slot & 0xFFFFFFFF
        del digests, slots, input_slot
        driver = time.perf_counter() - driver
        results = self._ray.get(verified)
        last = time.perf_counter()
        pairs = np.concatenate([_input_numbers(distinct, found) for found, _, _ in results])
        groups = group_records(len(distinct), pairs, record_input)
        self.stats = {
            "parts": len(parts), "records": len(record_input), "inputs": len(distinct),
            "band_entries": band_entries, "band_bytes": band_entries * ENTRY.itemsize,
            "pair_rows": sum(r[1] for r in results), "pair_bytes": sum(r[1] for r in results) * PAIR.itemsize,
            "candidates": sum(r[2] for r in results), "verified": len(pairs),
            "seconds": time.perf_counter() - started, "driver_seconds": driver + time.perf_counter() - last,
        }
        return groups

    def _submit(self, parts: list[tuple[Path, list[int], int]]) -> tuple[list[Any], list[Any]]:
        """Submit the three rounds of tasks; the sketch tasks' record refs and the verify tasks' refs.

        Only the tasks hold the shuffle's objects once this returns, so each is freed after its consumer ran.
        """
        ray, partitions = self._ray, self.partitions
        sketch = ray.remote(num_cpus=1, num_returns=1 + partitions, max_retries=0)(sketch_part)
        bucket = ray.remote(num_cpus=1, num_returns=partitions, max_retries=0)(bucket_pairs)
        verify = ray.remote(num_cpus=1, max_retries=0)(verify_pairs)
        sketched = [sketch.remote(path, groups, number, self.folder, self._options, partitions)
                    for number, (path, groups, _) in enumerate(parts)]
        buckets = [bucket.remote(partitions, *(refs[1 + p] for refs in sketched)) for p in range(partitions)]
        verified = [verify.remote(self.folder, self.threshold, self.num_perm, self.exact,
                                  *(refs[q] for refs in buckets)) for q in range(partitions)]
        return [refs[0] for refs in sketched], verified

    def rows_of(self, rows: np.ndarray, columns: list[str]) -> dict[str, list[Any]]:
        """Values of ``columns`` at the given rows of the filtered records (in ``rows`` order).

        What ``pipeline.dedup._rows_of`` reads on the driver, read by one Ray task a
        file instead: the driver receives the group members' values only, never
        streams every record's output.
        """
        read = self._ray.remote(num_cpus=1, max_retries=0)(_read_rows)
        rows = np.asarray(rows, dtype=np.int64)
        sizes = [pq.ParquetFile(path).metadata.num_rows for path in self.files]
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        file_of = np.searchsorted(bounds, rows, side="right") - 1
        at = [np.flatnonzero(file_of == f) for f in range(len(self.files))]
        pending = [(f, read.remote(self.files[f], rows[at[f]] - bounds[f], columns))
                   for f in range(len(self.files)) if len(at[f])]
        out: dict[str, list[Any]] = {name: [None] * len(rows) for name in columns}
        for f, ref in pending:
            values = self._ray.get(ref)
            for name in columns:
                column = out[name]
                for target, value in zip(at[f].tolist(), values[name], strict=True):
                    column[target] = value
        return out

    def signatures(self, inputs: np.ndarray) -> np.ndarray:
        """MinHash signatures of distinct inputs (numbers from :class:`Groups`), read from the parts."""
        if self._input_part is None or self._input_row is None:
            raise RuntimeError("call RayIndex.groups() first")
        inputs = np.asarray(inputs, dtype=np.int64)
        return self._sketches.signatures(self._input_part[inputs], self._input_row[inputs])


def _read_rows(path: Path, rows: np.ndarray, columns: list[str]) -> dict[str, list[Any]]:
    """``pipeline.dedup._rows_of`` on one file (a Ray task)."""
    from medsins.pipeline.dedup import _rows_of

    return _rows_of([path], rows, columns)


def _distinct_inputs(digests: list[np.ndarray], slots: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each record's distinct-input number (digest order, as the local index), each input's slot and digest."""
    digest = np.concatenate(digests)
    record_input, first = number_inputs(digest)
    return record_input, np.concatenate(slots)[first], digest[first]


def _input_numbers(distinct: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Digest pairs ``(n, 4)`` → distinct-input number pairs ``(n, 2)`` (``distinct`` is in digest order)."""
    return np.stack([_find(distinct, pairs[:, 0], pairs[:, 1]), _find(distinct, pairs[:, 2], pairs[:, 3])], axis=1)


def _find(distinct: np.ndarray, d0: np.ndarray, d1: np.ndarray) -> np.ndarray:
    at = np.searchsorted(distinct[:, 0], d0, side="left")
    while True:  # inputs whose first digest word is shared (in practice never) are stepped over
        wrong = np.flatnonzero(distinct[np.minimum(at, len(distinct) - 1), 1] != d1)
        if len(wrong) == 0:
            return at.astype(np.int64)
        at[wrong] += 1
        if (at >= len(distinct)).any():
            raise RuntimeError("internal: a verified pair names an input no record has")
