"""Text normalisation and shingling for deduplication.

A text becomes a *set of shingles*, and two texts are near-duplicates when the
Jaccard similarity of their shingle sets is high. The choices here define what
"near-duplicate" means for the whole build:

* **Normalisation** — NFKC (full-width letters, ligatures, compatibility forms
  fold to one spelling), casefold, punctuation / control / format characters
  replaced by a space, whitespace collapsed. Symbols (``<``, ``%``, ``+``, ``°``)
  are kept: in medicine they carry meaning. A text made only of punctuation
  keeps its punctuation (so ``"?"`` and ``"!"`` stay different).
* **Units** — space-separated scripts are cut into words; CJK (Han, kana,
  Hangul) into characters, spaces between CJK characters ignored. Mixed text is
  split into runs: CJK runs give character n-grams, the other runs word n-grams.
* **n** — word bigrams and CJK character trigrams (:data:`WORD_N`,
  :data:`CHAR_N`). MedS-Ins inputs are often short (MCQA questions, NER
  sentences of 10–40 words): a one-word edit changes ``n`` shingles out of
  about ``L``, so the Jaccard of a lightly edited 20-word question is
  17/21 = 0.81 with bigrams but 0.71 with trigrams and 0.60 with 4-grams; it
  would not count as a duplicate at the 0.8 threshold. Unigrams would ignore
  word order entirely. ``benchmarks/bench_dedup.py`` measures the choice on
  real questions in six languages (see benchmarks/README.md).
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
import sys
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
_CJK_CLASS = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
# A CJK run: CJK characters, possibly separated by single spaces (left by punctuation).
_CJK_RUN = re.compile(f"[{_CJK_CLASS}](?: ?[{_CJK_CLASS}])*")
_SPACE_RUN = re.compile(r"\s+")


@cache
def _cleaners() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Regexes deleting format characters and spacing out punctuation/controls.

    Built once from the Unicode database (``re`` has no ``\\p{P}``); a
    character class is ~10× faster than ``str.translate`` over a dict.
    """
    punct: list[int] = []
    fmt: list[int] = []
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category[0] == "P" or category == "Cc":
            punct.append(code)
        elif category == "Cf":
            fmt.append(code)
    return re.compile(f"[{_ranges(fmt)}]+"), re.compile(f"(?:[{_ranges(punct)}]|\\s)+")


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

    >>> normalise("  Which DRUG — aspirin, or ＩＢＵＰＲＯＦＥＮ?\\n")
    'which drug aspirin or ibuprofen'
    >>> normalise("?!")
    '?!'
    """
    formats, punct_or_space = _cleaners()
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = formats.sub("", folded)
    clean = punct_or_space.sub(" ", folded).strip()
    if clean:
        return clean
    # Only punctuation: keep it rather than collapsing every such text to "".
    return _SPACE_RUN.sub(" ", folded).strip()


def shingle_normalised(text: str, *, word_n: int = WORD_N, char_n: int = CHAR_N) -> list[bytes]:
    """The shingles of an already :func:`normalise`-d text, as UTF-8 bytes.

    Never empty: a text shorter than ``n`` (even ``""``) is one shingle.
    """
    if not _CJK_RUN.search(text):
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
    >>> shingles("患者服用阿司匹林")
    [b'\\xe6\\x82\\xa3\\xe8\\x80\\x85\\xe6\\x9c\\x8d', ...]
    """
    return shingle_normalised(normalise(text), word_n=word_n, char_n=char_n)


def _word_shingles(text: str, n: int) -> list[bytes]:
    # Joining byte words avoids one encode() per shingle (this is the hot loop).
    words = text.encode("utf-8").split(b" ")
    if len(words) <= n:
        return [b" ".join(words)]
    return list(map(b" ".join, zip(*(words[i:] for i in range(n)), strict=False)))


def _char_shingles(text: str, n: int) -> list[bytes]:
    if len(text) <= n:
        return [text.encode("utf-8")]
    return [text[i : i + n].encode("utf-8") for i in range(len(text) - n + 1)]


def hash_shingles(shingles: Sequence[bytes]) -> np.ndarray:
    """``sha1_hash32`` of each shingle (datasketch's default hash), as uint32.

    The first four bytes of each SHA-1 digest read little-endian, exactly
    ``struct.unpack("<I", sha1(b).digest()[:4])[0]``. Each distinct shingle is
    hashed once: SHA-1 through hashlib costs ~0.4 µs a call and dominates
    signature time, while word bigrams repeat a lot across a corpus, so a
    dictionary pass (a few tens of ns a shingle, all in C) pays for itself.
    """
    distinct = list(dict.fromkeys(shingles))
    digests = b"".join(map(methodcaller("digest"), map(hashlib.sha1, distinct)))
    unique_hashes = np.frombuffer(digests, dtype="<u4")[::5].astype(np.uint32)
    if len(distinct) == len(shingles):
        return unique_hashes
    position = dict(zip(distinct, range(len(distinct)), strict=True))
    index = np.fromiter(map(position.__getitem__, shingles), dtype=np.int64, count=len(shingles))
    return unique_hashes[index]


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
