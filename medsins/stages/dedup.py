"""Deduplication and test-set decontamination across all tasks and splits.

:func:`find_duplicates` decides, without any I/O, which records leave the
release and which record each one is a copy of.

How records are matched
    Inputs are compared in their :func:`~medsins.stages.shingles.normalise`-d
    form. Records with equal normalised inputs are grouped first (exact
    dedup, a dictionary lookup); one MinHash signature per distinct input then
    finds near-duplicate inputs: LSH candidates (bands chosen for recall,
    :func:`~medsins.stages.minhash.recall_params`) whose Jaccard of shingle
    sets is ≥ ``threshold`` — by default the exact Jaccard of the candidates'
    shingle-hash sets: on a 200k-record synthetic corpus that measured F1
    0.996 against exact truth, where deciding by the MinHash estimate gave
    0.910 (benchmarks/README.md).
    *Components* are the connected components of that near-duplicate graph.

The rule, per component
    1. **Contamination.** If the component holds a test record, every train
       record in it is dropped as ``"contaminates"``, pointing to the kept test
       record whose input is most similar (estimated Jaccard; ties → smallest
       id). A test record is never dropped because of a train twin.
    2. **Duplicates.** Among the remaining records of one split, records whose
       normalised outputs are equal or near-equal (Jaccard ≥ ``threshold``,
       chained within the component) are copies: the record with the smallest
       id is kept, the others are dropped as ``"duplicate"`` pointing to it.
    3. **Different tasks over one passage are kept.** Records with the same
       (or near-same) input but different outputs — question generation and
       classification over one abstract, two NER entity types of one
       sentence — are all kept.

Which record is kept depends only on the ids and splits (test first, then the
smallest id), never on input order: distinct inputs are processed in a
canonical order (by a 128-bit BLAKE2b digest of the normalised text), so
shuffling the records gives the same result.

Bounded memory
    :class:`InputIndex` is the array-level API the build uses: it takes the
    inputs batch by batch (a stream of Parquet batches), keeps per record only
    a 16-byte digest and a slot number, and spills each distinct input's
    MinHash signature, LSH band keys and shingle hashes to files in a work
    folder. :meth:`InputIndex.groups` then finds the candidates band by band,
    verifies them by reading back only the candidates' signatures and shingle
    hashes, and returns the records that share a component; :func:`resolve`
    applies the rule to those records alone. :func:`find_duplicates` is the
    in-memory convenience over both (a temporary folder), with the same result.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import tempfile
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from medsins.stages.minhash import (
    agreement,
    band_keys,
    candidate_pairs,
    components,
    exact_jaccard,
    near_duplicate_pairs,
    recall_params,
    sketch_texts,
)
from medsins.stages.shingles import normalise
from medsins.workfolder import bind_to_parent

DropKind = Literal["duplicate", "contaminates"]
Verify = Literal["exact", "estimate"]

#: Candidates whose estimated Jaccard is this far below the threshold (over 5 sd of the
#: 128-value estimator) are rejected without the exact check, as in ``near_duplicate_pairs``.
_EXACT_MARGIN = 0.2
#: Candidate pairs verified per step: bounds the signatures read back at once (32 MiB).
_VERIFY_PAIRS = 1 << 15
#: Shingle hashes of the candidates verified per step (exact mode): exact_jaccard's work
#: arrays take ~50 bytes a hash, so ~100 MiB.
_VERIFY_HASHES = 1 << 21
#: Texts per sketching job when :func:`find_duplicates` feeds an :class:`InputIndex`.
_JOB_TEXTS = 20_000


class Drop(NamedTuple):
    """Why a record leaves the release: a copy of ``kept_id``."""

    kept_id: str
    kind: DropKind


def find_duplicates(
    ids: Sequence[str],
    inputs: Sequence[str],
    outputs: Sequence[str],
    is_test: Sequence[bool],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    seed: int = 1,
    verify: Verify = "exact",
    workers: int = 1,
) -> dict[str, Drop]:
    """The records to drop, by id, each with the id it duplicates and the kind of drop.

    See the module docstring for the rule. Records not in the result are kept.
    ``verify`` decides LSH candidates by the ``"exact"`` Jaccard of their
    shingle-hash sets (default) or by the MinHash ``"estimate"``. ``workers``
    processes compute the input signatures (same result for any number).

    >>> find_duplicates(
    ...     ["a", "b", "c"],
    ...     ["Is aspirin safe?", "is aspirin safe", "Is aspirin safe?"],
    ...     ["yes", "Yes.", "no"],
    ...     [False, False, True],
    ... )
    {'a': Drop(kept_id='c', kind='contaminates'), 'b': Drop(kept_id='c', kind='contaminates')}
    """
    n = len(ids)
    if not (len(inputs) == len(outputs) == len(is_test) == n):
        raise ValueError("ids, inputs, outputs and is_test must have the same length")
    if len(set(ids)) != n:
        raise ValueError("record ids must be unique")
    _check_options(threshold, verify)
    if n == 0:
        return {}
    with tempfile.TemporaryDirectory(prefix="medsins-dedup-") as folder:
        index = InputIndex(Path(folder), threshold=threshold, num_perm=num_perm, seed=seed, verify=verify,
                           workers=workers)
        index.add_batches(inputs[start : start + _JOB_TEXTS] for start in range(0, n, _JOB_TEXTS))
        groups = index.groups()
        members = groups.members.tolist()
        return resolve(
            groups,
            [ids[i] for i in members],
            [outputs[i] for i in members],
            [bool(is_test[i]) for i in members],
            index.signatures,
            threshold=threshold,
            num_perm=num_perm,
            seed=seed,
            verify=verify,
        )


def _check_options(threshold: float, verify: str) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    if verify not in ("exact", "estimate"):
        raise ValueError(f"verify must be 'exact' or 'estimate', not {verify!r}")


# -- the array-level API: InputIndex (inputs → groups) and resolve (groups → drops) -------------


class Groups(NamedTuple):
    """Records that share a near-duplicate component with at least one other record.

    ``members[starts[g]:starts[g + 1]]`` are the record numbers (positions in
    the order the inputs were added) of group ``g``, ascending; ``inputs`` is
    each member's distinct-input number (canonical order), for
    :meth:`InputIndex.signatures`.
    """

    members: np.ndarray
    starts: np.ndarray
    inputs: np.ndarray

    def __len__(self) -> int:
        return len(self.starts) - 1


class _Sketch(NamedTuple):
    """What one sketching job returns for a batch of texts (see :func:`_sketch_job`)."""

    digests: np.ndarray  # (texts, 2) uint64: BLAKE2b-128 of each normalised text
    slot: np.ndarray  # (texts,) int64: each text's distinct-in-batch number
    signatures: np.ndarray  # (distinct, num_perm) uint32
    bands: np.ndarray  # (bands, distinct) uint64 LSH band keys
    hashes: np.ndarray | None  # shingle hashes of the distinct texts, concatenated
    lengths: np.ndarray | None  # shingle hashes per distinct text


def _sketch_job(
    texts: Sequence[str] | Any, *, num_perm: int, seed: int, exact: bool, bands: int, rows: int
) -> _Sketch:
    """Normalise, digest and sketch one batch (a worker process's unit of work)."""
    if hasattr(texts, "to_pylist"):  # an Arrow array: pickles as buffers, cheaper to ship
        texts = texts.to_pylist()
    keys = list(map(normalise, texts))
    digests = np.frombuffer(
        b"".join(hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest() for key in keys), dtype=">u8"
    ).reshape(-1, 2).astype(np.uint64)
    first: dict[str, int] = {}
    slot = np.fromiter((first.setdefault(key, len(first)) for key in keys), dtype=np.int64, count=len(keys))
    sketches = sketch_texts(list(first), num_perm=num_perm, seed=seed, normalised=True, keep_hashes=exact)
    lengths = np.diff(sketches.offsets) if exact else None
    return _Sketch(digests, slot, sketches.signatures, band_keys(sketches.signatures, bands, rows),
                   sketches.hashes, lengths)


def number_inputs(digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct inputs of records given their ``(n, 2)`` digests, numbered in digest order.

    Returns each record's input number and, for each input, the row of ``digests`` that
    first holds it (so ``digests[first]`` are the inputs' digests, in order). Both
    engines number inputs this way, which makes their groups and drops the same.
    """
    order = np.lexsort((digests[:, 1], digests[:, 0]))
    ordered = digests[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    del ordered
    record_input = np.empty(len(order), dtype=np.int64)
    record_input[order] = np.cumsum(new) - 1
    return record_input, order[new]


def group_records(n_inputs: int, pairs: np.ndarray, record_input: np.ndarray) -> Groups:
    """Records grouped by the connected component of their input under ``pairs``; groups of ≥ 2 only."""
    record_component = components(n_inputs, pairs)[record_input]
    # Records grouped by component (stable: ascending record numbers inside a group).
    order = np.argsort(record_component, kind="stable")
    label = record_component[order]
    del record_component
    cut = np.flatnonzero(label[1:] != label[:-1]) + 1
    sizes = np.diff(np.concatenate(([0], cut, [len(label)])))
    shared = sizes > 1
    members = order[np.repeat(shared, sizes)]
    starts = np.zeros(int(shared.sum()) + 1, dtype=np.int64)
    np.cumsum(sizes[shared], out=starts[1:])
    return Groups(members, starts, record_input[members])


class InputIndex:
    """Near-duplicate groups of record inputs, built batch by batch with bounded memory.

    Per record it keeps a 16-byte digest of the normalised input and an 8-byte
    slot; per distinct input (per batch) it appends the MinHash signature, the
    LSH band keys (one file per band) and, for exact verification, the shingle
    hashes to files in ``folder``. The result depends only on the sequence of
    inputs, not on how they are cut into batches or on ``workers``.

    >>> index = InputIndex(folder)                                   # doctest: +SKIP
    >>> index.add_batches(batch.column("input") for batch in stream)  # doctest: +SKIP
    >>> groups = index.groups()                                       # doctest: +SKIP
    """

    def __init__(
        self,
        folder: Path,
        *,
        threshold: float = 0.8,
        num_perm: int = 128,
        seed: int = 1,
        verify: Verify = "exact",
        workers: int = 1,
    ) -> None:
        _check_options(threshold, verify)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.threshold, self.num_perm, self.seed, self.verify = threshold, num_perm, seed, verify
        self.workers = max(1, workers)
        self.bands, self.rows = recall_params(threshold, num_perm)
        self._exact = verify == "exact"
        self._signature_file = (self.folder / "signatures.u32").open("wb")
        self._band_files = [(self.folder / f"band{b:03d}.u64").open("wb") for b in range(self.bands)]
        self._hash_file = (self.folder / "hashes.u32").open("wb") if self._exact else None
        self._digests: list[np.ndarray] = []
        self._slots: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._slot_count = 0
        self._hash_offsets: np.ndarray | None = None
        self._slot_of_input: np.ndarray | None = None

    @property
    def records(self) -> int:
        """Records added so far."""
        return sum(len(d) for d in self._digests)

    @property
    def resident_bytes(self) -> int:
        """Bytes of per-record and per-input arrays held in memory (the sketches are on disk)."""
        return sum(a.nbytes for arrays in (self._digests, self._slots, self._lengths) for a in arrays)

    def add(self, texts: Sequence[str]) -> None:
        """Add the inputs of the next records (in this process)."""
        self._store(_sketch_job(texts, **self._job_options()))

    def add_batches(self, batches: Iterable[Sequence[str] | Any]) -> None:
        """Add batches of inputs (lists of str or Arrow string arrays), in order.

        With ``workers > 1`` the batches are sketched by that many processes,
        a few batches ahead of the one being stored; results are stored in
        batch order, so the index is the same for any number of workers.
        """
        if self.workers == 1:
            for batch in batches:
                self._store(_sketch_job(batch, **self._job_options()))
            return
        from functools import partial

        job = partial(_sketch_job, **self._job_options())
        context = multiprocessing.get_context("spawn")  # no fork of a possibly threaded parent
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                 initializer=bind_to_parent, initargs=(os.getpid(),)) as pool:
            pending: deque[Any] = deque()
            for batch in batches:
                pending.append(pool.submit(job, batch))
                if len(pending) >= 2 * self.workers:
                    self._store(pending.popleft().result())
            while pending:
                self._store(pending.popleft().result())

    def _job_options(self) -> dict[str, Any]:
        return {"num_perm": self.num_perm, "seed": self.seed, "exact": self._exact, "bands": self.bands,
                "rows": self.rows}

    def _store(self, sketch: _Sketch) -> None:
        if self._slot_of_input is not None:
            raise RuntimeError("InputIndex.groups() was called; no more inputs can be added")
        self._digests.append(sketch.digests)
        self._slots.append(sketch.slot + self._slot_count)
        self._slot_count += len(sketch.signatures)
        self._signature_file.write(np.ascontiguousarray(sketch.signatures, dtype="<u4").tobytes())
        for handle, keys in zip(self._band_files, sketch.bands, strict=True):
            handle.write(np.ascontiguousarray(keys, dtype="<u8").tobytes())
        if self._hash_file is not None and sketch.hashes is not None and sketch.lengths is not None:
            self._hash_file.write(np.ascontiguousarray(sketch.hashes, dtype="<u4").tobytes())
            self._lengths.append(sketch.lengths.astype(np.int64))

    def _close_files(self) -> None:
        for handle in (self._signature_file, *self._band_files, self._hash_file):
            if handle is not None and not handle.closed:
                handle.close()

    def groups(self) -> Groups:
        """Exact and near-duplicate components of the inputs; the records of those with ≥ 2 records."""
        self._close_files()
        if not self._digests:
            empty = np.empty(0, dtype=np.int64)
            self._slot_of_input = empty
            return Groups(empty, np.zeros(1, dtype=np.int64), empty)
        record_input, self._slot_of_input = self._distinct_inputs()
        n_inputs = len(self._slot_of_input)
        if self._exact:
            lengths = np.concatenate(self._lengths)
            self._hash_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
            np.cumsum(lengths, out=self._hash_offsets[1:])
            self._lengths = []
        pairs = self._verified(self._candidates(n_inputs))
        return group_records(n_inputs, pairs, record_input)

    def _distinct_inputs(self) -> tuple[np.ndarray, np.ndarray]:
        """Each record's distinct-input number (canonical: digest order) and each input's slot."""
        digests = np.concatenate(self._digests)
        slots = np.concatenate(self._slots)
        self._digests, self._slots = [], []
        record_input, first = number_inputs(digests)
        return record_input, slots[first]

    def _candidates(self, n_inputs: int) -> np.ndarray:
        """LSH candidate pairs over the distinct inputs, one band file at a time."""
        codes: list[np.ndarray] = []
        for band in range(self.bands):
            keys = np.fromfile(self.folder / f"band{band:03d}.u64", dtype="<u8")[self._slot_of_input]
            pairs = candidate_pairs(keys[None, :].astype(np.uint64))
            codes.append(pairs[:, 0] * n_inputs + pairs[:, 1])
        found = np.sort(np.concatenate(codes)) if codes else np.empty(0, dtype=np.int64)
        if len(found):
            # Sort + neighbour mask: np.unique measured ~10× slower on millions of int64.
            found = found[np.concatenate(([True], found[1:] != found[:-1]))]
        return np.stack([found // n_inputs, found % n_inputs], axis=1)

    def _verified(self, pairs: np.ndarray) -> np.ndarray:
        """The candidates that pass verification (as :func:`near_duplicate_pairs` decides).

        Pairs are verified in chunks of at most :data:`_VERIFY_PAIRS` pairs and
        (exact mode) :data:`_VERIFY_HASHES` shingle hashes, so the signatures,
        hashes and the exact-Jaccard work arrays read back at once stay small
        however many candidates the corpus has.
        """
        kept: list[np.ndarray] = [np.empty((0, 2), dtype=np.int64)]
        for chunk in self._verify_chunks(pairs):
            docs, local = np.unique(chunk, return_inverse=True)
            local = local.reshape(chunk.shape)
            estimate = agreement(self.signatures(docs), local)
            if not self._exact:
                kept.append(chunk[estimate >= self.threshold])
                continue
            passed = estimate >= self.threshold - _EXACT_MARGIN
            chunk = chunk[passed]
            if len(chunk) == 0:
                continue
            docs, local = np.unique(chunk, return_inverse=True)  # hashes of the survivors only
            hashes, offsets = self._shingle_hashes(docs)
            kept.append(chunk[exact_jaccard(hashes, offsets, local.reshape(chunk.shape)) >= self.threshold])
        return np.concatenate(kept)

    def _verify_chunks(self, pairs: np.ndarray) -> Iterator[np.ndarray]:
        if not self._exact:
            for start in range(0, len(pairs), _VERIFY_PAIRS):
                yield pairs[start : start + _VERIFY_PAIRS]
            return
        assert self._hash_offsets is not None and self._slot_of_input is not None
        slots = self._slot_of_input[pairs]
        cost = np.cumsum((self._hash_offsets[slots + 1] - self._hash_offsets[slots]).sum(axis=1))
        start = 0
        while start < len(pairs):
            before = int(cost[start - 1]) if start else 0
            stop = int(np.searchsorted(cost, before + _VERIFY_HASHES, side="right"))
            stop = min(len(pairs), start + _VERIFY_PAIRS, max(stop, start + 1))
            yield pairs[start:stop]
            start = stop

    def signatures(self, inputs: np.ndarray) -> np.ndarray:
        """MinHash signatures of distinct inputs (numbers from :class:`Groups`), read from disk."""
        if self._slot_of_input is None:
            raise RuntimeError("call InputIndex.groups() first")
        row = self.num_perm * 4
        slots = self._slot_of_input[np.asarray(inputs, dtype=np.int64)]
        out = np.empty((len(slots), self.num_perm), dtype="<u4")
        _pread_rows(self.folder / "signatures.u32", out.view(np.uint8).reshape(-1), slots * row,
                    np.full(len(slots), row, dtype=np.int64))
        return out.astype(np.uint32, copy=False)

    def _shingle_hashes(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shingle hashes of distinct inputs as ``(hashes, offsets)``, read from disk."""
        assert self._hash_offsets is not None and self._slot_of_input is not None
        slots = self._slot_of_input[inputs]
        starts, stops = self._hash_offsets[slots], self._hash_offsets[slots + 1]
        offsets = np.zeros(len(slots) + 1, dtype=np.int64)
        np.cumsum(stops - starts, out=offsets[1:])
        out = np.empty(int(offsets[-1]), dtype="<u4")
        _pread_rows(self.folder / "hashes.u32", out.view(np.uint8), starts * 4, (stops - starts) * 4)
        return out.astype(np.uint32, copy=False), offsets


def _pread_rows(path: Path, out: np.ndarray, positions: np.ndarray, sizes: np.ndarray) -> None:
    """Read ``sizes[i]`` bytes at ``positions[i]`` of ``path`` into ``out``, back to back.

    ``pread`` into an anonymous buffer rather than a memory map: mapped file
    pages (with the kernel's fault-around) would count in the resident set.
    """
    view = memoryview(out)
    fd = os.open(path, os.O_RDONLY)
    try:
        at = 0
        for position, size in zip(positions.tolist(), sizes.tolist(), strict=True):
            if size and os.preadv(fd, [view[at : at + size]], position) != size:
                raise OSError(f"{path}: short read at byte {position}")
            at += size
    finally:
        os.close(fd)


def resolve(
    groups: Groups,
    ids: Sequence[str],
    outputs: Sequence[str],
    is_test: Sequence[bool],
    signatures: Callable[[np.ndarray], np.ndarray],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    seed: int = 1,
    verify: Verify = "exact",
) -> dict[str, Drop]:
    """Apply the rule (module docstring) to the records of ``groups``.

    ``ids``, ``outputs`` and ``is_test`` are given for the members only, in
    ``groups.members`` order; ``signatures`` maps distinct-input numbers to
    their MinHash signatures (:meth:`InputIndex.signatures`). Returns the drops
    sorted by id.
    """
    n = len(groups.members)
    if not (len(ids) == len(outputs) == len(is_test) == n):
        raise ValueError("ids, outputs and is_test must be given for every member of the groups")
    if n == 0:
        return {}
    tests = np.asarray(is_test, dtype=bool)
    sizes = np.diff(groups.starts)
    group_of = np.repeat(np.arange(len(sizes)), sizes)
    # Input signatures are needed only where a test and a train record share a group.
    mixed = (np.bincount(group_of, weights=tests, minlength=len(sizes)) > 0) & (
        np.bincount(group_of, weights=~tests, minlength=len(sizes)) > 0
    )
    needed = np.unique(groups.inputs[mixed[group_of]])
    needed_sigs = signatures(needed) if len(needed) else np.empty((0, num_perm), dtype=np.uint32)
    sig_row = np.searchsorted(needed, groups.inputs)

    same_output = _OutputMatcher(list(outputs), threshold, num_perm, seed, verify)
    drops: dict[str, Drop] = {}
    for g, (start, stop) in enumerate(zip(groups.starts[:-1].tolist(), groups.starts[1:].tolist(), strict=True)):
        group = sorted(range(start, stop), key=lambda i: ids[i])  # smallest id first
        group_tests = [i for i in group if is_test[i]]
        trains = [i for i in group if not is_test[i]]
        kept_tests = _dedup_split(group_tests, ids, outputs, same_output, drops)
        if kept_tests:
            if mixed[g]:
                _contaminated(trains, kept_tests, ids, sig_row, needed_sigs, drops)
        else:
            _dedup_split(trains, ids, outputs, same_output, drops)
    return dict(sorted(drops.items()))


def _near_pairs(
    texts: list[str], threshold: float, num_perm: int, seed: int, verify: Verify, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Signatures of normalised texts and their verified near-duplicate pairs."""
    if verify not in ("exact", "estimate"):
        raise ValueError(f"verify must be 'exact' or 'estimate', not {verify!r}")
    sketches = sketch_texts(
        texts, num_perm=num_perm, seed=seed, normalised=True, keep_hashes=verify == "exact", workers=workers
    )
    hashes = (sketches.hashes, sketches.offsets) if verify == "exact" else None
    return sketches.signatures, near_duplicate_pairs(sketches.signatures, threshold, hashes=hashes)


class _OutputMatcher:
    """Equal-or-near-equal outputs: normalised keys plus near-duplicate pairs between them."""

    def __init__(self, outputs: list[str], threshold: float, num_perm: int, seed: int, verify: Verify) -> None:
        self.distinct = sorted({normalise(text) for text in outputs})
        self.index = {key: i for i, key in enumerate(self.distinct)}
        _, pairs = _near_pairs(self.distinct, threshold, num_perm, seed, verify)
        self.neighbours: dict[int, list[int]] = defaultdict(list)
        for first, second in pairs.tolist():
            self.neighbours[first].append(second)
            self.neighbours[second].append(first)

    def key(self, output: str) -> int:
        return self.index[normalise(output)]

    def classes(self, keys: set[int]) -> dict[int, int]:
        """Map each output key to its class within ``keys`` (near-equality chained inside the set)."""
        label: dict[int, int] = {}
        for start in sorted(keys):
            if start in label:
                continue
            label[start] = start
            stack = [start]
            while stack:
                for other in self.neighbours.get(stack.pop(), ()):
                    if other in keys and other not in label:
                        label[other] = start
                        stack.append(other)
        return label


def _dedup_split(
    records: list[int],
    ids: Sequence[str],
    outputs: Sequence[str],
    same_output: _OutputMatcher,
    drops: dict[str, Drop],
) -> list[int]:
    """Drop same-output copies among ``records`` (sorted by id); return the kept ones."""
    if len(records) < 2:
        return records
    keys = {i: same_output.key(outputs[i]) for i in records}
    label = same_output.classes(set(keys.values()))
    keeper: dict[int, int] = {}
    kept: list[int] = []
    for i in records:  # smallest id first, so the first of a class is its keeper
        cls = label[keys[i]]
        if cls in keeper:
            drops[ids[i]] = Drop(ids[keeper[cls]], "duplicate")
        else:
            keeper[cls] = i
            kept.append(i)
    return kept


def _contaminated(
    trains: list[int],
    kept_tests: list[int],
    ids: Sequence[str],
    sig_row: np.ndarray,
    signatures: np.ndarray,
    drops: dict[str, Drop],
) -> None:
    """Drop every train record, pointing to the kept test record with the most similar input.

    ``signatures[sig_row[i]]`` is the input signature of member ``i``.
    """
    if not trains:
        return
    test_sigs = signatures[sig_row[kept_tests]]
    step = max(1, (1 << 22) // max(1, test_sigs.size))
    for start in range(0, len(trains), step):
        chunk = trains[start : start + step]
        train_sigs = signatures[sig_row[chunk]]
        similarity = np.count_nonzero(train_sigs[:, None, :] == test_sigs[None, :, :], axis=2)
        # kept_tests is sorted by id, and argmax takes the first maximum: ties go to the smallest id.
        best = np.argmax(similarity, axis=1)
        for record, choice in zip(chunk, best.tolist(), strict=True):
            drops[ids[record]] = Drop(ids[kept_tests[choice]], "contaminates")
