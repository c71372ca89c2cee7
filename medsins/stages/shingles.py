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

Shingles are UTF-8 bytes hashed with ``sha1_hash32`` exactly like datasketch's
default (``struct.unpack("<I", sha1(b).digest()[:4])``), so our signatures can
be compared with ``datasketch.MinHash`` signatures of the same shingles.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from operator import methodcaller

import numpy as np

#: Words per shingle for space-separated scripts.
WORD_N = 2
#: Characters per shingle for CJK runs.
CHAR_N = 3

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


def shingle_normalised(text: str, *, word_n: int = WORD_N, char_n: int = CHAR_N) -> list[bytes]:
    """The shingles of an already :func:`normalise`-d text, as UTF-8 bytes.

    Never empty: a text shorter than ``n`` (even ``""``) is one shingle.
    """
    if not _has_cjk(text):
        return _word_shingles(text, word_n)
    shingles: list[bytes] = []
    end = 0
    for run in _CJK_RUN.finditer(text):
        between = text[end : run.start()].strip()
        if between:
            shingles += _word_shingles(between, word_n)
        shingles += _char_shingles(run.group().replace(" ", ""), char_n)
        end = run.end()
    tail = text[end:].strip()
    if tail:
        shingles += _word_shingles(tail, word_n)
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


def hash_shingles(shingles: Sequence[bytes]) -> np.ndarray:
    """``sha1_hash32`` of each shingle (datasketch's default hash), as uint32.

    The first four bytes of each SHA-1 digest read little-endian, exactly
    ``struct.unpack("<I", sha1(b).digest()[:4])[0]``. Digests are joined and
    read with one ``frombuffer`` per few thousand shingles: no Python int per
    shingle, and the transient digest objects stay in cache (measured ~20 %
    faster than one join over millions). This is the floor of signature cost
    (~0.4 µs a shingle, nearly all hashlib call overhead); hashing each
    distinct shingle once through a dict measured slower, since large dicts of
    bytes cost ~150 ns a lookup.
    """
    out = np.empty(len(shingles), dtype=np.uint32)
    for start in range(0, len(shingles), _HASH_CHUNK):
        chunk = shingles[start : start + _HASH_CHUNK]
        digests = b"".join(map(methodcaller("digest"), map(hashlib.sha1, chunk)))
        out[start : start + len(chunk)] = np.frombuffer(digests, dtype="<u4")[::5]
    return out


_HASH_CHUNK = 8192


def shingle_hashes(
    texts: Sequence[str], *, normalised: bool = False, word_n: int = WORD_N, char_n: int = CHAR_N
) -> tuple[np.ndarray, np.ndarray]:
    """Hashed shingles of many texts: ``(hashes, offsets)``.

    ``hashes[offsets[i]:offsets[i + 1]]`` are the hashes of text ``i``; every
    text has at least one. ``normalised=True`` skips :func:`normalise` for
    texts that already went through it.
    """
    all_shingles: list[bytes] = []
    counts = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        found = shingle_normalised(text if normalised else normalise(text), word_n=word_n, char_n=char_n)
        counts[i] = len(found)
        all_shingles += found
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return hash_shingles(all_shingles), offsets
