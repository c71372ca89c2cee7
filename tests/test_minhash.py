"""Shingling, shingle hashes, MinHash signatures and LSH, with datasketch as the oracle."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32
from datasketch.lsh import _optimal_param
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import medsins.stages.shingles as shingles_module
from medsins.stages.minhash import (
    agreement,
    band_keys,
    candidate_pairs,
    components,
    near_duplicate_pairs,
    optimal_params,
    permutations,
    recall_params,
    signatures,
    signatures_from_hashes,
    sketch_texts,
)
from medsins.stages.shingles import (
    DEFAULT_HASH,
    hash_shingle_lists,
    hash_shingles,
    hash_spans,
    hashfunc,
    murmur3_32,
    normalise,
    sha1_32,
    shingle_hashes,
    shingle_normalised,
    shingle_spans,
    shingles,
)


def datasketch_hashvalues(
    text: str, num_perm: int = 128, seed: int = 1, scheme: str = "affine32", hash: str = DEFAULT_HASH
) -> np.ndarray:
    """The oracle: datasketch's MinHash with the matching Python ``hashfunc``, updated with our shingles."""
    sketch = MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=hashfunc(hash))
    for shingle in shingles(text):
        sketch.update(shingle)
    return sketch.hashvalues


# Latin (with accents), Cyrillic, Han, kana, Hangul, digits, punctuation, symbols and spaces.
_ALPHABET = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCXYZéàñçü0123456789")
    + list("абвгдежзийклмнопрстуфхцчшщыьэюя")
    + list("患者服用阿司匹林后出现胃痛高血圧症候群のはどれかをにアイウ한국어문장입니다")
    + list(" ,.;:!?()-—'\"\n\t  　，。、%+<>°µ\xad\u200b≥→")
    + ["\U00020000", "\U0002a6a5"]  # astral Han
)
TEXTS = st.text(alphabet=_ALPHABET, max_size=400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(TEXTS, min_size=1, max_size=12),
    num_perm=st.sampled_from([16, 64, 128]),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
    scheme=st.sampled_from(["affine32", "legacy"]),
    hash=st.sampled_from(["murmur3", "sha1"]),
)
@example(texts=["", "a", "患", "患者", "Yes.", "?!", "a b"], num_perm=128, seed=1, scheme="affine32", hash="murmur3")
def test_signatures_equal_datasketch(texts: list[str], num_perm: int, seed: int, scheme: str, hash: str) -> None:
    ours = signatures(texts, num_perm=num_perm, seed=seed, scheme=scheme, hash=hash)
    assert ours.shape == (len(texts), num_perm)
    for text, row in zip(texts, ours, strict=True):
        assert np.array_equal(row, datasketch_hashvalues(text, num_perm, seed, scheme, hash))


def test_default_hash_is_murmur3_and_sha1_gives_default_datasketch() -> None:
    assert DEFAULT_HASH == "murmur3"
    text = "Is aspirin safe in pregnancy? 患者服用阿司匹林"
    plain = MinHash(num_perm=64, seed=3)  # datasketch's own default hashfunc, sha1_hash32
    plain.update_batch(shingles(text))
    assert np.array_equal(signatures([text], num_perm=64, seed=3, hash="sha1")[0], plain.hashvalues)
    default = signatures([text], num_perm=64, seed=3)[0]
    assert np.array_equal(default, datasketch_hashvalues(text, 64, 3, hash="murmur3"))
    assert not np.array_equal(default, plain.hashvalues)  # a different hash, different values


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(TEXTS, max_size=20), normalised=st.booleans())
@example(texts=["", "a", "a b", "x  y", " a", "a ", "患 者", " 患者服用 ", "ab 患者服用 cd ef"], normalised=True)
def test_shingle_spans_equal_per_text_shingles(texts: list[str], normalised: bool) -> None:
    # normalised=True on raw text too: the spans must still follow bytes.split(b" ") exactly.
    spans = shingle_spans(texts, normalised=normalised)
    found = spans.shingles()
    assert spans.offsets[0] == 0 and spans.offsets[-1] == len(found)
    for i, text in enumerate(texts):
        expected = shingle_normalised(text if normalised else normalise(text))
        assert found[spans.offsets[i] : spans.offsets[i + 1]] == expected
    # The vectorised hash equals the reference on every shingle.
    assert hash_spans(spans.data, spans.starts, spans.ends).tolist() == [murmur3_32(s) for s in found]


@settings(max_examples=100, deadline=None)
@given(items=st.lists(st.binary(max_size=70), max_size=60))
def test_vectorised_murmur3_equals_reference_on_any_bytes(items: list[bytes]) -> None:
    assert hash_shingles(items).tolist() == [murmur3_32(item) for item in items]
    assert hash_shingles(items, "sha1").tolist() == [sha1_hash32(item) for item in items]


def test_murmur3_reference_matches_published_vectors() -> None:
    # MurmurHash3 x86_32 test vectors (as produced by the C reference and mmh3.hash(..., signed=False)).
    vectors = [
        (b"", 0, 0),
        (b"", 1, 0x514E28B7),
        (b"", 0xFFFFFFFF, 0x81F16F39),
        (b"\0\0\0\0", 0, 0x2362F9DE),
        (b"a", 0x9747B28C, 0x7FA09EA6),
        (b"ab", 0x9747B28C, 0x74875592),
        (b"abc", 0x9747B28C, 0xC84A62DD),
        (b"abcd", 0x9747B28C, 0xF0478627),
        (b"aaaa", 0x9747B28C, 0x5A97808A),
        (b"Hello, world!", 0x9747B28C, 0x24884CBA),
        (b"The quick brown fox jumps over the lazy dog", 0x9747B28C, 0x2FA826CD),
    ]
    for data, seed, expected in vectors:
        assert murmur3_32(data, seed) == expected, data


def test_long_spans_and_many_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # A span of > 255 blocks takes the wide sort key; small steps exercise the windowed loop.
    items = [b"x" * 5000, b"", "患者".encode() * 300, b"abc", bytes(range(256)) * 3, b"\xff\x00" * 7]
    assert hash_shingles(items).tolist() == [murmur3_32(item) for item in items]
    monkeypatch.setattr(shingles_module, "_SPANS_PER_STEP", 2)
    assert hash_shingles(items).tolist() == [murmur3_32(item) for item in items]
    spans = shingle_spans(["a b c d e f g", "患者服用阿司匹林", "", "x y"])
    assert hash_spans(spans.data, spans.starts, spans.ends).tolist() == [murmur3_32(s) for s in spans.shingles()]


@settings(max_examples=50, deadline=None)
@given(docs=st.lists(st.lists(st.binary(max_size=40), max_size=30), max_size=20), step=st.sampled_from([1, 3, 1 << 15]))
def test_hash_shingle_lists_equal_per_document_hashes(docs: list[list[bytes]], step: int) -> None:
    # MinHash.bulk's input format, in steps of any size (documents may be empty).
    original = shingles_module._SPANS_PER_STEP
    shingles_module._SPANS_PER_STEP = step
    try:
        for hash in ("murmur3", "sha1"):
            hashes, offsets = hash_shingle_lists(docs, hash)
            assert offsets.tolist() == [0, *np.cumsum([len(doc) for doc in docs]).tolist()]
            assert hashes.tolist() == [hashfunc(hash)(s) for doc in docs for s in doc]
    finally:
        shingles_module._SPANS_PER_STEP = original


def test_hash_shingle_lists_signatures_equal_datasketch_bulk() -> None:
    docs = [shingles(text) for text in ("Is aspirin safe?", "患者服用阿司匹林后出现胃痛", "", "yes")]
    hashes, offsets = hash_shingle_lists(docs)
    ours = signatures_from_hashes(hashes, offsets, num_perm=32, seed=5)
    theirs = MinHash.bulk(docs, num_perm=32, seed=5, hashfunc=murmur3_32)
    assert all(np.array_equal(sketch.hashvalues, row) for sketch, row in zip(theirs, ours, strict=True))
    with pytest.raises(ValueError, match="shingle hash"):
        hash_shingle_lists([], "crc32")  # type: ignore[arg-type]


def test_shingle_hashes_in_chunks_equal_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"question {i} about drug {i % 7}" for i in range(50)] + ["患者服用阿司匹林", "", "Yes."]
    whole_hashes, whole_offsets = shingle_hashes(texts)
    monkeypatch.setattr(shingles_module, "_CHUNK_CHARS", 64)
    hashes, offsets = shingle_hashes(texts)
    assert np.array_equal(hashes, whole_hashes) and np.array_equal(offsets, whole_offsets)
    assert hashes.tolist() == [murmur3_32(s) for text in texts for s in shingles(text)]


def test_long_and_short_documents_in_one_batch_equal_datasketch() -> None:
    # Both code paths (padded short documents, reduceat long ones) in one call.
    texts = ["yes", "", "word " * 3, " ".join(f"w{i}" for i in range(500)), "患者" * 40, "one two three"]
    for hash in ("murmur3", "sha1"):
        ours = signatures(texts, hash=hash)
        for text, row in zip(texts, ours, strict=True):
            assert np.array_equal(row, datasketch_hashvalues(text, hash=hash))


def test_hashfuncs() -> None:
    items = [b"", b"is aspirin", "患者服".encode(), b"x" * 200]
    expected = [sha1_hash32(item) for item in items]
    assert hash_shingles(items, "sha1").tolist() == expected == [sha1_32(item) for item in items]
    assert expected[1] == struct.unpack("<I", hashlib.sha1(b"is aspirin").digest()[:4])[0]
    assert hashfunc("sha1") is sha1_32 and hashfunc("murmur3") is murmur3_32 and hashfunc() is murmur3_32
    with pytest.raises(ValueError, match="shingle hash"):
        hashfunc("fnv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shingle hash"):
        sketch_texts(["a b"], hash="md5")  # type: ignore[arg-type]


def test_permutations_are_datasketchs() -> None:
    for scheme in ("affine32", "legacy"):
        a, b = permutations(32, 7, scheme)
        sketch = MinHash(num_perm=32, seed=7, scheme=scheme)
        assert np.array_equal(a, sketch.permutations[0])
        assert np.array_equal(b, sketch.permutations[1])
    with pytest.raises(ValueError, match="scheme"):
        permutations(8, 1, "affine64")


def test_short_text_gets_one_shingle_and_a_signature() -> None:
    assert shingles("Yes.") == [b"yes"]
    assert shingles("Is aspirin") == [b"is aspirin"]
    assert shingles("") == [b""]
    assert shingles("?") == [b"?"]
    sketch = MinHash(num_perm=128, seed=1, hashfunc=murmur3_32)
    sketch.update(b"yes")
    row = signatures(["Yes."])[0]
    assert np.array_equal(row, sketch.hashvalues)
    # A one-shingle signature is not the empty sketch (all max values).
    assert not np.all(row == np.uint32(2**32 - 1))


def test_normalise() -> None:
    assert normalise("  Which DRUG — aspirin, or ＩＢＵＰＲＯＦＥＮ?\n") == "which drug aspirin or ibuprofen"
    assert normalise("BP>140 mmHg, T 38.5°C") == "bp > 140 mmhg t 38 5 ° c"
    assert normalise("medi\xadcine") == "medicine"  # soft hyphen deleted, not a space
    assert normalise("Straße") == "strasse"
    assert normalise("L'adrénaline stimule…") == "l adrénaline stimule"
    assert normalise("?!") == "?!"
    assert normalise(" \n ") == ""


def test_word_bigrams_for_space_separated_scripts() -> None:
    assert shingles("Is aspirin safe in pregnancy?") == [
        b"is aspirin",
        b"aspirin safe",
        b"safe in",
        b"in pregnancy",
    ]
    assert [s.decode() for s in shingles("Апоплексия яичника — кровоизлияние")] == [
        "апоплексия яичника",
        "яичника кровоизлияние",
    ]


def test_cjk_is_shingled_by_characters() -> None:
    decoded = [s.decode() for s in shingles("患者，服用阿司匹林。")]
    # Punctuation between CJK characters does not break the run.
    assert decoded == ["患者服", "者服用", "服用阿", "用阿司", "阿司匹", "司匹林"]
    japanese = [s.decode() for s in shingles("高血圧について、正しいのはどれか。")]
    assert japanese[:3] == ["高血圧", "血圧に", "圧につ"]
    assert japanese[-1] == "どれか"
    assert [s.decode() for s in shingles("한국어 문장")] == ["한국어", "국어문", "어문장"]
    assert [s.decode() for s in shingles("胃痛")] == ["胃痛"]  # shorter than n: the whole run


def test_mixed_text_cjk_runs_as_characters_other_runs_as_words() -> None:
    decoded = [s.decode() for s in shingles("患者服用 Aspirin 100 mg 后出现胃痛")]
    assert decoded == ["患者服", "者服用", "aspirin 100", "100 mg", "后出现", "出现胃", "现胃痛"]


def test_shingle_hashes_offsets() -> None:
    hashes, offsets = shingle_hashes(["a b c", "x", "患者服用"])
    assert offsets.tolist() == [0, 2, 3, 5]
    assert hashes.tolist()[2] == murmur3_32(b"x")
    assert hashes.tolist()[3] == murmur3_32("患者服".encode())
    sha_hashes, sha_offsets = shingle_hashes(["a b c", "x", "患者服用"], hash="sha1")
    assert sha_offsets.tolist() == [0, 2, 3, 5]
    assert sha_hashes.tolist()[2] == sha1_hash32(b"x")
    empty_hashes, empty_offsets = shingle_hashes([])
    assert len(empty_hashes) == 0 and empty_offsets.tolist() == [0]


def test_signatures_from_hashes_needs_a_hash_per_document() -> None:
    with pytest.raises(ValueError, match="at least one"):
        signatures_from_hashes(np.array([1, 2], dtype=np.uint32), np.array([0, 2, 2]))


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
def test_optimal_params_equal_datasketch(num_perm: int) -> None:
    for threshold in (0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95):
        assert optimal_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)
    assert optimal_params(0.8, num_perm, 0.05, 0.95) == _optimal_param(0.8, num_perm, 0.05, 0.95)


def test_recall_params_favour_recall() -> None:
    bands, rows = recall_params(0.8, 128)
    assert (bands, rows) == (16, 8)
    assert 1 - (1 - 0.8**rows) ** bands > 0.94


def test_candidates_and_verification() -> None:
    base = " ".join(f"word{i}" for i in range(60))
    near = base.replace("word30", "other")  # one substitution: Jaccard 57/61 of bigrams
    far = " ".join(f"term{i}" for i in range(60))
    sigs = signatures([base, near, far])
    pairs = near_duplicate_pairs(sigs, 0.8)
    assert pairs.tolist() == [[0, 1]]
    assert agreement(sigs, pairs)[0] == pytest.approx(57 / 61, abs=0.1)


def test_large_bucket_is_chained_into_one_component() -> None:
    # 300 identical signatures share every band: the window keeps pairs linear
    # but the bucket still ends up as one component.
    sigs = np.tile(np.arange(128, dtype=np.uint32), (300, 1))
    pairs = candidate_pairs(band_keys(sigs, 16, 8), window=8)
    assert len(pairs) < 300 * 8
    assert set(components(300, pairs).tolist()) == {0}


def test_components_label_is_smallest_member() -> None:
    pairs = np.array([[5, 3], [3, 9], [1, 2], [9, 4]])
    labels = components(10, pairs)
    assert labels.tolist() == [0, 1, 1, 3, 3, 3, 6, 7, 8, 3]
    # Edge order does not matter.
    assert components(10, pairs[::-1]).tolist() == labels.tolist()


def test_workers_give_the_same_sketches() -> None:
    texts = [f"question {i} about drug {i % 97} and dose {i % 13}" for i in range(4100)]  # two batches
    alone = sketch_texts(texts)
    pooled = sketch_texts(texts, workers=2)
    assert np.array_equal(alone.hashes, [murmur3_32(s) for text in texts for s in shingles(text)])
    assert np.array_equal(alone.signatures, pooled.signatures)
    assert np.array_equal(alone.hashes, pooled.hashes)
    assert np.array_equal(alone.offsets, pooled.offsets)
    assert alone.offsets[-1] == len(alone.hashes) == sum(len(shingles(t)) for t in texts)
