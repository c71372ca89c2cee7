"""Text normalisation and shingling for deduplication.

A text becomes a *set of shingles*, and two texts are near-duplicates when the
Jaccard similarity of their shingle sets is high. The choices here define what
"near-duplicate" means for the whole build:

* **Normalisation** — NFKC (full-width letters, ligatures, compatibility forms
  fold to one spelling), casefold, invisible characters (soft hyphen,
  zero-width spaces) deleted; then runs of letters/digits are words, each
  symbol (``<``, ``%``, ``+``, ``°``: they carry meaning in medicine) is a word
  of its own, and punctuation, controls and whitespace only separate words.
  A text made only of punctuation keeps it (``"?"`` and ``"!"`` stay apart).
* **Units** — space-separated scripts are cut into words; CJK (Han, kana,
  Hangul) into characters, spaces between CJK characters ignored. Mixed text is
  split into runs: CJK runs give character n-grams, the other runs word n-grams.
* **n** — word bigrams and CJK character trigrams (:data:`WORD_N`,
  :data:`CHAR_N`; a CJK trigram spans about as much text as two words, Chinese
  words averaging 1.5–2 characters). MedS-Ins inputs are often short (MCQA
  questions, NER sentences of 10–40 words), and a one-word edit changes ``n``
  shingles out of about ``L``: a lightly edited 20-word question keeps Jaccard
  17/21 = 0.81 with bigrams, but 15/21 = 0.71 with trigrams and 13/21 = 0.62
  with 4-grams, and would no longer count as a duplicate at 0.8. Unigrams
  would catch more edits of very short questions but ignore word order, so
  "is X caused by Y" would duplicate "is Y caused by X". The trade-off is
  measured on real questions in six languages by ``benchmarks/bench_dedup.py``
  (benchmarks/README.md).
* **Short texts** — a run shorter than ``n`` units gives one shingle, the run
  itself, so every text has a signature and a one-word answer is compared
  as a whole.

Shingles are UTF-8 bytes hashed to 32 bits by one of two functions
(:data:`ShingleHash`), each equal to a per-shingle Python function that
``datasketch.MinHash`` takes as ``hashfunc`` (:func:`hashfunc`), so our
signatures are datasketch's for the same shingles (datasketch is the test
oracle):

* ``"murmur3"`` (**the default**): MurmurHash3 x86_32 with seed 0,
  :func:`murmur3_32` (also ``mmh3.hash(b, signed=False)``). It is computed for
  all shingles of a batch at once: the batch's normalised text is one UTF-8
  buffer, each shingle a ``(start, end)`` span of it (:func:`shingle_spans`),
  and the hash mixes four bytes a step over all spans together in numpy
  (:func:`hash_spans`), so no shingle ever becomes a Python object. Why it is
  the default: it is a fixed, published function (the same values on every
  machine and Python version, unlike ``hash()``, so decisions are
  reproducible); it needs no per-shingle call; and shingling plus hashing
  measured under 0.1 µs a shingle, where the SHA-1 call alone costs ~0.4 µs
  (benchmarks/README.md). FNV-1a, one byte a step, took 15–20 % longer than
  MurmurHash3's word-a-step loop, and a zero-byte MurmurHash3 tail is a
  no-op, so spans of every length share one code path.
* ``"sha1"``: datasketch's default ``sha1_hash32``
  (``struct.unpack("<I", sha1(b).digest()[:4])``), one hashlib call a
  shingle, for signatures identical to a default ``datasketch.MinHash``.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache
from itertools import chain, pairwise, repeat
from operator import methodcaller
from typing import Literal, NamedTuple

import numpy as np

#: Words per shingle for space-separated scripts.
WORD_N = 2
#: Characters per shingle for CJK runs.
CHAR_N = 3

#: A shingle hash: ``"murmur3"`` (MurmurHash3 x86_32, vectorised; the default) or ``"sha1"`` (datasketch's default).
ShingleHash = Literal["murmur3", "sha1"]
#: The build's shingle hash (the module docstring says why).
DEFAULT_HASH: ShingleHash = "murmur3"

# Han (incl. extensions and compatibility ideographs), kana, Hangul (jamo and syllables).
_CJK_BMP = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
)
_CJK_CLASS = _CJK_BMP + "\U00020000-\U0003134f"
# A CJK run: CJK characters, possibly separated by single spaces (left by punctuation).
_CJK_RUN = re.compile(f"[{_CJK_CLASS}](?: ?[{_CJK_CLASS}])*")
# Detection scans with the BMP part only: astral ranges make `re` scan ~10× slower.
_CJK_BMP_CHAR = re.compile(f"[{_CJK_BMP}]")
_FIRST_CJK = "\u1100"
_FIRST_ASTRAL_CJK = "\U00020000"
# ASCII fast path: letters lower-cased, digits kept, punctuation and controls
# to spaces; the ASCII symbols (category S*) send a text to the general path.
_ASCII_SYMBOLS = tuple(c.encode() for c in "$+<=>^`|~")
_ASCII_TABLE = bytes(
    ord(chr(c).lower()) if chr(c).isalnum() or chr(c).encode() in _ASCII_SYMBOLS else 32 for c in range(128)
).ljust(256, b" ")
# Invisible characters that may sit inside a word (soft hyphen, zero-width
# space/joiners, bidi marks, word joiner, BOM): deleted, not turned into a space.
_INVISIBLE = re.compile("[\xad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


@cache
def _token_pattern() -> re.Pattern[str]:
    """Tokens: runs of letters/digits, or one symbol (Unicode category S*, BMP).

    Everything else (punctuation, whitespace, controls) separates tokens.
    Built once from the Unicode database, as ``re`` has no ``\\p{S}``; finding
    tokens measured ~4× faster than substituting a large punctuation class.
    """
    symbols = [code for code in range(0x10000) if unicodedata.category(chr(code))[0] == "S"]
    return re.compile(f"[^\\W_]+|[{_ranges(symbols)}]")


def _ranges(codes: list[int]) -> str:
    """A regex character-class body for sorted code points, as ranges."""
    parts: list[str] = []
    start = prev = codes[0]
    for code in [*codes[1:], -1]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = code
    return "".join(parts)


def normalise(text: str) -> str:
    """The comparison form of a text: NFKC, casefolded, punctuation-free, single-spaced.

    Letters and digits form words, each symbol is a word of its own, and every
    other character separates words.

    >>> normalise("  Which DRUG — aspirin, or ＩＢＵＰＲＯＦＥＮ?\\n")
    'which drug aspirin or ibuprofen'
    >>> normalise("BP>140 mmHg")
    'bp > 140 mmhg'
    >>> normalise("?!")
    '?!'
    """
    if text.isascii():
        raw = text.encode("ascii")
        if not any(symbol in raw for symbol in _ASCII_SYMBOLS):
            # Fast path (most of the corpus): one byte-table pass, NFKC is the identity.
            clean = b" ".join(raw.translate(_ASCII_TABLE).split()).decode("ascii")
            return clean or " ".join(text.split())
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii():
        folded = _INVISIBLE.sub("", folded)
    clean = " ".join(_token_pattern().findall(folded))
    if clean:
        return clean
    # Only punctuation: keep it rather than collapsing every such text to "".
    return " ".join(folded.split())


def _has_cjk(text: str) -> bool:
    if text.isascii():
        return False
    highest = max(text)  # a fast C scan; every CJK character is ≥ U+1100
    if highest < _FIRST_CJK:
        return False
    return highest >= _FIRST_ASTRAL_CJK or _CJK_BMP_CHAR.search(text) is not None


def _segments(text: str) -> list[tuple[str, bool]]:
    """A normalised text cut into ``(segment, is_cjk)``: word runs, and CJK runs with their spaces removed.

    A text without CJK is one word segment (even ``""``); around CJK runs,
    only non-blank word runs are kept.
    """
    return _split_cjk(text) if _has_cjk(text) else [(text, False)]


def _split_cjk(text: str) -> list[tuple[str, bool]]:
    """:func:`_segments` without the :func:`_has_cjk` test (a text without a CJK run is one word segment)."""
    out: list[tuple[str, bool]] = []
    end = 0
    for run in _CJK_RUN.finditer(text):
        between = text[end : run.start()].strip()
        if between:
            out.append((between, False))
        out.append((run.group().replace(" ", ""), True))
        end = run.end()
    if end == 0:
        return [(text, False)]
    tail = text[end:].strip()
    if tail:
        out.append((tail, False))
    return out


def shingle_normalised(text: str, *, word_n: int = WORD_N, char_n: int = CHAR_N) -> list[bytes]:
    """The shingles of an already :func:`normalise`-d text, as UTF-8 bytes.

    Never empty: a text shorter than ``n`` (even ``""``) is one shingle. This
    is the readable per-text definition; :func:`shingle_spans` finds the same
    shingles for a whole batch without a Python object per shingle.
    """
    if not _has_cjk(text):
        return _word_shingles(text, word_n)
    shingles: list[bytes] = []
    for segment, is_cjk in _segments(text):
        shingles += _char_shingles(segment, char_n) if is_cjk else _word_shingles(segment, word_n)
    return shingles


def shingles(text: str, *, word_n: int = WORD_N, char_n: int = CHAR_N) -> list[bytes]:
    """The shingles of a raw text (normalised first).

    >>> shingles("Is aspirin safe?")
    [b'is aspirin', b'aspirin safe']
    >>> shingles("Yes.")
    [b'yes']
    >>> [s.decode() for s in shingles("患者服用阿司匹林")]
    ['患者服', '者服用', '服用阿', '用阿司', '阿司匹', '司匹林']
    """
    return shingle_normalised(normalise(text), word_n=word_n, char_n=char_n)


def _word_shingles(text: str, n: int) -> list[bytes]:
    # Joining byte words avoids one encode() per shingle (this is the hot loop).
    words = text.encode("utf-8").split(b" ")
    if len(words) <= n:
        return [b" ".join(words)]
    return list(map(b" ".join, zip(*(words[i:] for i in range(n)), strict=False)))


def _char_shingles(text: str, n: int) -> list[bytes]:
    encoded = text.encode("utf-8")
    if len(text) <= n:
        return [encoded]
    count = len(text) - n + 1
    if len(encoded) == 3 * len(text):
        # All three-byte characters (the BMP CJK blocks): slice the bytes in C.
        return list(map(encoded.__getitem__, map(slice, range(0, 3 * count, 3), range(3 * n, 3 * (count + n), 3))))
    return [text[i : i + n].encode("utf-8") for i in range(count)]


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86_32 of ``data`` (pure Python; the reference for :func:`hash_spans`).

    Equal to ``mmh3.hash(data, seed, signed=False)``. Pass it as
    ``datasketch.MinHash(hashfunc=murmur3_32)`` to reproduce our default
    signatures in datasketch (or the C ``mmh3`` function, for speed).

    >>> hex(murmur3_32(b"Hello, world!", seed=0x9747B28C))
    '0x24884cba'
    """
    mask = 0xFFFFFFFF
    h = seed & mask
    full = len(data) - len(data) % 4
    for (k,) in struct.iter_unpack("<I", data[:full]):
        h ^= _murmur3_scramble(k)
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    if full < len(data):
        h ^= _murmur3_scramble(int.from_bytes(data[full:], "little"))
    h ^= len(data) & mask
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    return h ^ (h >> 16)


def _murmur3_scramble(k: int) -> int:
    k = (k * 0xCC9E2D51) & 0xFFFFFFFF
    k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
    return (k * 0x1B873593) & 0xFFFFFFFF


def sha1_32(data: bytes) -> int:
    """datasketch's default ``sha1_hash32``: the first four SHA-1 digest bytes, little-endian."""
    return struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]


def hashfunc(hash: ShingleHash = DEFAULT_HASH) -> Callable[[bytes], int]:
    """The per-shingle Python function equal to a :data:`ShingleHash` (a ``datasketch.MinHash`` ``hashfunc``).

    ``MinHash(num_perm, seed, hashfunc=hashfunc(h))`` updated with
    :func:`shingles` gives the ``hashvalues`` of our signatures with ``hash=h``.
    """
    if hash == "murmur3":
        return murmur3_32
    if hash == "sha1":
        return sha1_32
    raise ValueError(f"unknown shingle hash {hash!r} (expected 'murmur3' or 'sha1')")


class ShingleSpans(NamedTuple):
    """The shingles of a batch of texts as spans of one UTF-8 buffer.

    Shingle ``k`` is ``data[starts[k]:ends[k]]``; the shingles of text ``i``
    are ``k`` in ``offsets[i]:offsets[i + 1]``, in :func:`shingle_normalised`
    order.
    """

    data: bytes
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    offsets: np.ndarray  # int64, len(texts) + 1

    def shingles(self) -> list[bytes]:
        """The shingles as bytes objects (one Python object each: for SHA-1 and tests)."""
        return list(map(self.data.__getitem__, map(slice, self.starts.tolist(), self.ends.tolist())))


def shingle_spans(
    texts: Sequence[str], *, normalised: bool = False, word_n: int = WORD_N, char_n: int = CHAR_N
) -> ShingleSpans:
    """The shingles of a batch of texts, computed for all texts at once (same shingles as :func:`shingles`).

    Python touches each text once (encoding; CJK texts are also cut into
    runs); units and shingles are then found with array operations over the
    batch's bytes: in a word segment every space ends a word, in a CJK segment
    every UTF-8 lead byte but the first starts a character, and a shingle
    spans from the start of its first unit to the end of its ``n``-th.
    """
    if word_n < 1 or char_n < 1:
        raise ValueError("word_n and char_n must be positive")
    keys = list(texts) if normalised else list(map(normalise, texts))
    empty = np.zeros(0, dtype=np.int64)
    if not keys:
        return ShingleSpans(b"", empty, empty, np.zeros(1, dtype=np.int64))
    pieces = [key.encode("utf-8") for key in keys]
    sizes = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    data = b"".join(pieces)
    is_cjk: np.ndarray | None = None
    segments_per_text: np.ndarray | None = None
    maybe_cjk = _texts_with_high_bytes(data, sizes)
    if maybe_cjk:
        pieces, flags, segments_per_text = _cut_cjk_texts(keys, pieces, maybe_cjk)
        sizes = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        data = b"".join(pieces)
        is_cjk = np.array(flags, dtype=bool)
    starts, ends, per_segment = _segment_shingles(data, sizes, is_cjk, word_n, char_n)
    if segments_per_text is not None:
        first_segment = np.zeros(len(keys), dtype=np.int64)
        np.cumsum(segments_per_text[:-1], out=first_segment[1:])
        per_segment = np.add.reduceat(per_segment, first_segment)  # every text has ≥ 1 segment
    offsets = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(per_segment, out=offsets[1:])
    return ShingleSpans(data, starts, ends, offsets)


def _texts_with_high_bytes(data: bytes, sizes: np.ndarray) -> list[int]:
    """Texts holding a UTF-8 lead byte ≥ 0xE1 (every CJK character is ≥ U+1100, so only these can hold CJK).

    One array scan replaces a per-text ``max()``, which measured ~6 µs a non-ASCII text.
    """
    high = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) >= 0xE1)
    if len(high) == 0:
        return []
    text = np.searchsorted(np.cumsum(sizes), high, side="right")
    return _sorted_distinct(text).tolist()


def _sorted_distinct(values: np.ndarray) -> np.ndarray:
    keep = np.ones(len(values), dtype=bool)
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _cut_cjk_texts(
    keys: list[str], pieces: list[bytes], maybe_cjk: list[int]
) -> tuple[list[bytes], list[bool], np.ndarray]:
    """Replace the pieces of texts that may hold CJK by their segments; the others stay one word segment."""
    out: list[bytes] = []
    flags: list[bool] = []
    counts = np.ones(len(keys), dtype=np.int64)
    done = 0
    for i in maybe_cjk:
        out += pieces[done:i]
        flags += [False] * (i - done)
        segments = _split_cjk(keys[i])
        out += [segment.encode("utf-8") for segment, _ in segments]
        flags += [is_cjk for _, is_cjk in segments]
        counts[i] = len(segments)
        done = i + 1
    out += pieces[done:]
    flags += [False] * (len(keys) - done)
    return out, flags, counts


def _segment_shingles(
    data: bytes, sizes: np.ndarray, is_cjk: np.ndarray | None, word_n: int, char_n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shingle spans of concatenated segments: ``(starts, ends, shingles per segment)``.

    A segment of ``u`` units has ``max(u - n + 1, 1)`` shingles. Units are
    numbered segment by segment: each segment's first unit starts at the
    segment, and each *cut* (a space in a word segment, a non-first lead byte
    in a CJK one) ends one unit and starts the next — so the non-first units,
    in order, start at the cuts and the non-last units end at them.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    seg_end = np.cumsum(sizes)
    seg_start = seg_end - sizes
    cut = buf == 32
    if is_cjk is not None and is_cjk.any():
        lead = np.repeat(is_cjk, sizes)
        lead &= (buf & 0xC0) != 0x80
        lead[seg_start[is_cjk & (sizes > 0)]] = False
        cut |= lead
    cuts = np.flatnonzero(cut)
    before = np.searchsorted(cuts, seg_start)
    units = np.searchsorted(cuts, seg_end) - before + 1
    first = np.arange(len(sizes)) + before
    last = first + units - 1
    unit_start = np.empty(len(sizes) + len(cuts), dtype=np.int64)
    unit_end = np.empty_like(unit_start)
    other = np.ones(len(unit_start), dtype=bool)
    other[first] = False
    unit_start[first] = seg_start
    unit_start[other] = cuts + (buf[cuts] == 32)  # a word starts after its space, a character at its lead byte
    other[:] = True
    other[last] = False
    unit_end[last] = seg_end
    unit_end[other] = cuts
    n = np.where(is_cjk, char_n, word_n) if is_cjk is not None else np.full(len(sizes), word_n)
    count = np.maximum(units - n + 1, 1)
    first_shingle = np.cumsum(count) - count
    unit = np.repeat(first - first_shingle, count) + np.arange(int(count.sum()))  # each shingle's first unit
    last_unit = np.minimum(unit + np.repeat(n - 1, count), np.repeat(last, count))
    return unit_start[unit], unit_end[last_unit], count


def hash_spans(data: bytes, starts: np.ndarray, ends: np.ndarray, hash: ShingleHash = DEFAULT_HASH) -> np.ndarray:
    """The 32-bit hash of each span ``data[starts[k]:ends[k]]``, as uint32.

    ``"murmur3"`` is computed for :data:`_SPANS_PER_STEP` spans at a time
    (:func:`_murmur3_spans`), each step over the window of ``data`` they
    cover (spans in text order keep it small); ``"sha1"`` makes each span a
    bytes object and calls hashlib.
    """
    if hash == "murmur3":
        starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
        out = np.empty(len(starts), dtype=np.uint32)
        for lo in range(0, len(starts), _SPANS_PER_STEP):
            first, stop = starts[lo : lo + _SPANS_PER_STEP], ends[lo : lo + _SPANS_PER_STEP]
            left, right = int(first.min()), int(stop.max())
            window = data[left:right] if left > 0 or right < len(data) else data
            out[lo : lo + len(first)] = _murmur3_spans(window, first - left, stop - left)
        return out
    if hash == "sha1":
        return _sha1_hashes(ShingleSpans(data, np.asarray(starts), np.asarray(ends), np.zeros(1)).shingles())
    raise ValueError(f"unknown shingle hash {hash!r} (expected 'murmur3' or 'sha1')")


def hash_shingles(shingles: Sequence[bytes], hash: ShingleHash = DEFAULT_HASH) -> np.ndarray:
    """The 32-bit hash of each shingle (bytes), as uint32: ``hashfunc(hash)(s)`` for every ``s``.

    For MurmurHash3, :data:`_SPANS_PER_STEP` shingles at a time are joined
    into one buffer and hashed as spans of it.
    """
    if hash == "sha1":
        return _sha1_hashes(shingles)
    out = np.empty(len(shingles), dtype=np.uint32)
    for lo in range(0, len(shingles), _SPANS_PER_STEP):
        chunk = shingles[lo : lo + _SPANS_PER_STEP]
        sizes = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        ends = np.cumsum(sizes)
        out[lo : lo + len(chunk)] = hash_spans(b"".join(chunk), ends - sizes, ends, hash)
    return out


_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
# Bytes of a 1-, 2- or 3-byte tail within a little-endian word (a 0-byte tail scrambles to 0: a no-op).
_TAIL_MASK = np.array([0, 0xFF, 0xFFFF, 0xFFFFFF], dtype=np.uint32)


def _murmur3_spans(data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """MurmurHash3 x86_32 (seed 0) of every span, vectorised over the spans.

    Step ``b`` mixes the ``b``-th 4-byte block of every span that has one.
    Spans are ordered by their number of blocks (one radix-sort pass), so the
    spans still active at step ``b`` are a suffix and every step is a few
    in-place operations on it. A block is one gather from a little-endian
    uint32 view of ``data`` with a one-byte stride (measured faster than
    first building the aligned word at every offset).
    """
    out = np.empty(len(starts), dtype=np.uint32)
    if len(starts) == 0:
        return out
    # words[p] = data[p:p + 4] as uint32; the last tail read runs up to 3 bytes past the end.
    words = np.ndarray((len(data) + 1,), dtype="<u4", buffer=data + bytes(4), strides=(1,))
    length = ends - starts
    blocks = length >> 2
    most = int(blocks.max())
    order = np.argsort(blocks.astype(np.uint8) if most < 256 else blocks, kind="stable")  # fewest blocks first
    first = starts[order]
    length = length[order]
    begin = np.cumsum(np.bincount(blocks, minlength=most + 1))[:most]  # spans with > b blocks: [begin[b]:]
    h = np.zeros(len(first), dtype=np.uint32)
    tmp = np.empty_like(h)
    for b, lo in enumerate(begin.tolist()):
        hb, tb = h[lo:], tmp[lo:]
        hb ^= _scramble(words[4 * b :][first[lo:]], tb)
        np.left_shift(hb, 13, out=tb)
        hb >>= 19
        hb |= tb
        hb *= np.uint32(5)
        hb += np.uint32(0xE6546B64)
    tail = length & 3
    k = words[first + (length - tail)]
    k &= _TAIL_MASK[tail]
    h ^= _scramble(k, tmp)
    h ^= length.astype(np.uint32)
    h ^= h >> 16
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> 13
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> 16
    out[order] = h
    return out


def _scramble(k: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """MurmurHash3's block scramble in place, ``k = rotl(k * c1, 15) * c2``; returns ``k``."""
    k *= _C1
    np.left_shift(k, 15, out=tmp)
    k >>= 17
    k |= tmp
    k *= _C2
    return k


def _sha1_hashes(shingles: Sequence[bytes]) -> np.ndarray:
    """``sha1_hash32`` of each shingle, as uint32.

    Digests are joined and read with one ``frombuffer`` per few thousand
    shingles: no Python int per shingle, and the transient digest objects stay
    in cache (measured ~20 % faster than one join over millions). The hashlib
    call (~0.4 µs a shingle) is the cost: this is why SHA-1 is not the default.
    """
    out = np.empty(len(shingles), dtype=np.uint32)
    for start in range(0, len(shingles), _HASH_CHUNK):
        chunk = shingles[start : start + _HASH_CHUNK]
        digests = b"".join(map(methodcaller("digest"), map(hashlib.sha1, chunk)))
        out[start : start + len(chunk)] = np.frombuffer(digests, dtype="<u4")[::5]
    return out


_HASH_CHUNK = 8192
# MurmurHash3 spans hashed per step: keeps the step's words and state near the cache
# (hashing millions of spans in one step measured several times slower).
_SPANS_PER_STEP = 1 << 15
# Characters of text shingled and hashed per step of `shingle_hashes` (bounds its buffers).
_CHUNK_CHARS = 1 << 18


def shingle_hashes(
    texts: Sequence[str],
    *,
    normalised: bool = False,
    word_n: int = WORD_N,
    char_n: int = CHAR_N,
    hash: ShingleHash = DEFAULT_HASH,
) -> tuple[np.ndarray, np.ndarray]:
    """Hashed shingles of many texts: ``(hashes, offsets)``.

    ``hashes[offsets[i]:offsets[i + 1]]`` are the hashes of text ``i``'s
    :func:`shingles`, in order; every text has at least one. ``normalised=True``
    skips :func:`normalise` for texts that already went through it. Texts are
    processed about 256k characters at a time.
    """
    hashes: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for lo, hi in _chunk_bounds(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), _CHUNK_CHARS):
        spans = shingle_spans(texts[lo:hi], normalised=normalised, word_n=word_n, char_n=char_n)
        hashes.append(hash_spans(spans.data, spans.starts, spans.ends, hash))
        counts.append(np.diff(spans.offsets))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=offsets[1:])
    return (np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint32)), offsets


def hash_shingle_lists(
    docs: Sequence[Sequence[bytes]], hash: ShingleHash = DEFAULT_HASH
) -> tuple[np.ndarray, np.ndarray]:
    """Hashed shingles of documents given as lists of shingle bytes (``MinHash.bulk``'s input): ``(hashes, offsets)``.

    ``hashes[offsets[i]:offsets[i + 1]]`` are :func:`hash_shingles` of
    ``docs[i]``. For MurmurHash3, documents are taken about
    :data:`_SPANS_PER_STEP` shingles at a time, joined document by document
    and hashed as spans (joining and sizing per document measured ~20 %
    faster than over one flat list of all shingles).
    """
    hashfunc(hash)  # an unknown name fails here, even with no shingles
    counts = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    out = np.empty(int(offsets[-1]), dtype=np.uint32)
    for lo, hi in _chunk_bounds(counts, _SPANS_PER_STEP):
        part = docs[lo:hi]
        if hash == "sha1":
            out[offsets[lo] : offsets[hi]] = _sha1_hashes(list(chain.from_iterable(part)))
            continue
        sizes = np.fromiter(
            chain.from_iterable(map(map, repeat(len), part)), dtype=np.int64, count=int(counts[lo:hi].sum())
        )
        ends = np.cumsum(sizes)
        out[offsets[lo] : offsets[hi]] = hash_spans(b"".join(map(b"".join, part)), ends - sizes, ends, hash)
    return out, offsets


def _chunk_bounds(sizes: np.ndarray, step: int) -> list[tuple[int, int]]:
    """``(lo, hi)`` index ranges whose ``sizes`` add up to about ``step`` each (at least one item)."""
    if len(sizes) == 0:
        return []
    total = np.cumsum(sizes)
    cuts = np.searchsorted(total, np.arange(step, int(total[-1]), step), side="right") + 1
    bounds = [0, *_sorted_distinct(np.minimum(cuts, len(sizes))).tolist(), len(sizes)]
    return [(lo, hi) for lo, hi in pairwise(bounds) if hi > lo]
